"""Study time is credited only when plausible; completion needs enough of it; a course is
done when all its live lessons are."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cms.accounts.models import MemberStatus
from cms.study import selectors, services
from cms.study.models import LessonProgress
from tests.factories import CourseFactory, LessonFactory
from tests.study.conftest import administrator, member

T0 = timezone.make_aware(datetime.datetime(2026, 5, 4, 9, 0, 0))


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


@pytest.fixture
def person(org):
    return member(org.first)


@pytest.fixture
def lesson(person, org):
    return LessonFactory(parent=CourseFactory(audience_units=[org.first]), min_study_minutes=1)


def test_opening_starts_the_clock_and_reopening_keeps_the_time(person, lesson):
    progress = services.open_lesson(person, lesson, now=T0)
    assert (progress.opened_at, progress.last_active_at, progress.seconds_spent) == (T0, T0, 0)

    services.record_study_time(person, lesson.pk, 30, now=at(30))
    again = services.open_lesson(person, lesson, now=at(3600))

    assert again.pk == progress.pk
    assert again.opened_at == T0  # the first visit stays the first visit
    assert again.seconds_spent == 30
    # An hour away is not study time: the next report counts from the new visit.
    assert services.record_study_time(person, lesson.pk, 120, now=at(3600 + 20)).seconds_spent == 30 + 20 + 5


def test_heartbeat_is_capped_by_wall_clock_time_since_the_last_report(person, lesson):
    services.open_lesson(person, lesson, now=T0)

    # Claims 120 s ten seconds after opening: 10 s plus 5 s slack.
    assert services.record_study_time(person, lesson.pk, 120, now=at(10)).seconds_spent == 15
    # An honest report is credited in full.
    assert services.record_study_time(person, lesson.pk, 30, now=at(40)).seconds_spent == 45
    # A second tab reporting at the same moment gains nothing.
    assert services.record_study_time(person, lesson.pk, 30, now=at(40)).seconds_spent == 45
    stored = LessonProgress.objects.get(user=person, lesson=lesson)
    assert (stored.seconds_spent, stored.last_active_at) == (45, at(40))


def test_frequent_reports_earn_no_more_than_real_time(person, lesson):
    """A tampered page reporting the maximum every second, or reopening the lesson before each
    report, is credited the slack once and then one second per second."""
    services.open_lesson(person, lesson, now=T0)
    for second in range(1, 61):
        progress = services.record_study_time(person, lesson.pk, 120, now=at(second))
    assert progress.seconds_spent == 60 + services.REPORT_SLACK_SECONDS

    other = LessonFactory(parent=lesson.get_parent().specific, min_study_minutes=1)
    for second in range(0, 60):
        services.open_lesson(person, other, now=at(second))
        progress = services.record_study_time(person, other.pk, 120, now=at(second))
    assert progress.seconds_spent <= 60 + services.REPORT_SLACK_SECONDS


def test_hidden_time_is_not_claimable_later(person, lesson):
    services.open_lesson(person, lesson, now=T0)
    services.record_study_time(person, lesson.pk, 30, now=at(30))
    # The page was hidden for ten minutes, then visible for 30 s: an honest page reports 30 s.
    assert services.record_study_time(person, lesson.pk, 30, now=at(660)).seconds_spent == 60
    # A tampered page cannot then claim the ten hidden minutes report by report.
    for second in range(661, 671):
        progress = services.record_study_time(person, lesson.pk, 120, now=at(second))
    assert progress.seconds_spent <= 60 + services.MAX_REPORT_SECONDS + 10 + services.REPORT_SLACK_SECONDS


def test_heartbeat_stops_counting_at_the_lesson_cap(person, org):
    lesson = LessonFactory(parent=CourseFactory(audience_units=[org.first]), min_study_minutes=1)
    long_lesson = LessonFactory(parent=CourseFactory(audience_units=[org.first]), min_study_minutes=20)
    for item in (lesson, long_lesson):
        services.open_lesson(person, item, now=T0)
        for report in range(1, 40):
            progress = services.record_study_time(person, item.pk, 120, now=at(120 * report))
    # max(3 × 60 s, 30 min) and max(3 × 20 min, 30 min)
    assert LessonProgress.objects.get(user=person, lesson=lesson).seconds_spent == 30 * 60
    assert progress.seconds_spent == 60 * 60


@pytest.mark.parametrize("seconds", [0, -5, 121, 10_000, 1.5, 30.0, "30", None, True])
def test_bad_seconds_are_refused_in_chinese_and_change_nothing(person, lesson, seconds):
    services.open_lesson(person, lesson, now=T0)
    with pytest.raises(ValidationError) as error:
        services.record_study_time(person, lesson.pk, seconds, now=at(60))
    assert error.value.messages == ["学习时长须为 1 到 120 之间的整数（秒）。"]
    assert LessonProgress.objects.get(user=person, lesson=lesson).seconds_spent == 0


def test_heartbeat_before_opening_is_refused(person, lesson):
    with pytest.raises(ValidationError) as error:
        services.record_study_time(person, lesson.pk, 30, now=T0)
    assert error.value.messages == ["请先打开课时再上报学习时长。"]


def test_a_person_moved_out_of_the_audience_since_opening_is_refused_and_credited_nothing(person, lesson, org):
    services.open_lesson(person, lesson, now=T0)
    course = lesson.get_parent().specific
    course.audience_units.set([org.second])
    course.save_revision().publish()

    with pytest.raises(PermissionDenied):
        services.record_study_time(person, lesson.pk, 30, now=at(30))
    assert LessonProgress.objects.get(user=person, lesson=lesson).seconds_spent == 0


def test_a_study_administrator_outside_the_audience_is_credited_like_a_member(home, lesson):
    admin = administrator(username="study-admin")  # no Party record: outside every audience
    services.open_lesson(admin, lesson, now=T0)

    progress = services.record_study_time(admin, lesson.pk, 30, now=at(30))

    assert (progress.seconds_spent, progress.last_active_at, progress.required_seconds) == (30, at(30), 60)
    assert LessonProgress.objects.get(user=admin, lesson=lesson).seconds_spent == 30


def test_the_answer_is_the_row_as_stored(person, lesson):
    services.open_lesson(person, lesson, now=T0)
    answered = services.record_study_time(person, lesson.pk, 20, now=at(20.25))
    stored = LessonProgress.objects.get(user=person, lesson=lesson)
    assert answered.required_seconds == lesson.required_seconds == 60
    for name in ("pk", "seconds_spent", "opened_at", "last_active_at", "credited_until", "completed_at"):
        assert getattr(answered, name) == getattr(stored, name), name
    assert stored.credited_until == at(20) and stored.last_active_at == at(20.25)


def test_completing_too_early_is_refused_with_what_is_missing(person, lesson):
    with pytest.raises(ValidationError) as error:
        services.complete_lesson(person, lesson, now=T0)
    assert error.value.messages == ["请先打开并学习本课时。"]

    services.open_lesson(person, lesson, now=T0)
    services.record_study_time(person, lesson.pk, 45, now=at(45))
    with pytest.raises(ValidationError) as error:
        services.complete_lesson(person, lesson, now=at(46))
    assert error.value.messages == ["学习时长还不够：本课时至少需要学习 1 分钟，已学习 45 秒，还需约 15 秒。"]
    assert LessonProgress.objects.get(user=person, lesson=lesson).completed_at is None


def test_completing_after_enough_time_is_recorded_once(person, lesson):
    services.open_lesson(person, lesson, now=T0)
    services.record_study_time(person, lesson.pk, 30, now=at(30))
    services.record_study_time(person, lesson.pk, 30, now=at(60))

    progress = services.complete_lesson(person, lesson, now=at(61))
    again = services.complete_lesson(person, lesson, now=at(500))

    assert progress.completed_at == at(61)
    assert again.completed_at == at(61)


def test_people_outside_the_audience_cannot_record_anything(org, lesson):
    outsider = member(org.second)
    activist = member(org.first, MemberStatus.ACTIVIST)
    lesson_for_members = LessonFactory(parent=CourseFactory(audience_statuses=[MemberStatus.FULL]))
    for person, item in [(outsider, lesson), (activist, lesson_for_members)]:
        for step in (services.open_lesson, services.complete_lesson):
            with pytest.raises(PermissionDenied):
                step(person, item, now=T0)
        with pytest.raises(PermissionDenied):
            services.record_study_time(person, item.pk, 30, now=T0)
    assert not LessonProgress.objects.exists()


def test_an_unpublished_lesson_cannot_be_studied_any_more(person, lesson):
    services.open_lesson(person, lesson, now=T0)
    lesson.unpublish()
    with pytest.raises(PermissionDenied):
        services.record_study_time(person, lesson.pk, 30, now=at(30))


def _study(person, lesson, start):
    services.open_lesson(person, lesson, now=at(start))
    services.record_study_time(person, lesson.pk, 60, now=at(start + 60))
    return services.complete_lesson(person, lesson, now=at(start + 61))


def test_course_completion_follows_from_its_live_lessons(person, org):
    course = CourseFactory(audience_units=[org.first])
    first, second = LessonFactory(parent=course), LessonFactory(parent=course)

    def state():
        return selectors.course_progress(person, course)

    assert (state().state, state().state_label) == ("not_started", "未开始")
    _study(person, first, 0)
    assert (state().lessons_total, state().lessons_completed, state().state) == (2, 1, "in_progress")
    assert state().state_label == "学习中" and state().seconds_spent == 60

    second.unpublish()  # the remaining lesson no longer counts
    assert (state().lessons_total, state().completed, state().state_label) == (1, True, "已学完")

    LessonFactory(parent=course)  # a new lesson: not done any more
    assert (state().lessons_total, state().lessons_completed, state().completed) == (2, 1, False)


def test_a_course_without_live_lessons_is_not_completed(person, org):
    course = CourseFactory(audience_units=[org.first])
    assert selectors.course_progress(person, course).completed is False


@pytest.mark.parametrize(
    ("required", "days", "done", "overdue"),
    [
        (True, -1, False, True),  # past the deadline, not done
        (True, 0, False, False),  # the deadline day itself still counts
        (True, -1, True, False),  # done, even if late
        (False, -1, False, False),  # elective courses are never overdue
    ],
)
def test_overdue_means_a_required_course_past_its_deadline_and_not_done(person, org, required, days, done, overdue):
    course = CourseFactory(required=required, deadline=timezone.localdate() + datetime.timedelta(days=days))
    lesson = LessonFactory(parent=course)
    if done:
        _study(person, lesson, 0)
    assert selectors.course_progress(person, course).overdue is overdue
