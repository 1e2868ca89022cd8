"""Who sees which course (audience by status and organisation), and the reads built on it."""

import datetime

import pytest
from django.utils import timezone
from wagtail.rich_text import RichText

from cms.accounts.models import MemberStatus
from cms.accounts.services import change_status
from cms.study import selectors
from cms.study.models import LessonPage, lesson_text_length
from tests.factories import CourseFactory, LessonFactory, UserFactory
from tests.study.conftest import administrator, member


def titles(user):
    return {course.title for course in selectors.courses_for(user)}


def test_audience_by_status(org):
    CourseFactory(title="积极分子培训", audience_statuses=[MemberStatus.ACTIVIST, MemberStatus.CANDIDATE])
    CourseFactory(title="党员必修", audience_statuses=[MemberStatus.PROBATIONARY, MemberStatus.FULL])
    CourseFactory(title="全体课程")  # no status ticked: every status

    assert titles(member(org.first, MemberStatus.ACTIVIST)) == {"积极分子培训", "全体课程"}
    assert titles(member(org.first, MemberStatus.FULL)) == {"党员必修", "全体课程"}
    assert titles(member(org.first, MemberStatus.APPLICANT)) == {"全体课程"}


def test_audience_by_unit_includes_every_unit_below(org):
    CourseFactory(title="党委课程", audience_units=[org.committee])
    CourseFactory(title="总支课程", audience_units=[org.general])
    CourseFactory(title="一支部课程", audience_units=[org.first])
    CourseFactory(title="二支部课程", audience_units=[org.second])

    # 第一党支部 sits under 机关党总支, which sits under 机关党委.
    assert titles(member(org.first)) == {"党委课程", "总支课程", "一支部课程"}
    # 第二党支部 sits directly under the committee: not under the 党总支.
    assert titles(member(org.second)) == {"党委课程", "二支部课程"}
    # Someone recorded at the 党总支 itself is not inside a branch below it.
    assert titles(member(org.general)) == {"党委课程", "总支课程"}
    # No organisation recorded: only courses for everyone (here none).
    assert titles(member(None)) == set()


def test_status_and_unit_must_both_match(org):
    CourseFactory(title="一支部党员课", audience_units=[org.first], audience_statuses=[MemberStatus.FULL])

    assert titles(member(org.first, MemberStatus.FULL)) == {"一支部党员课"}
    assert titles(member(org.first, MemberStatus.ACTIVIST)) == set()
    assert titles(member(org.second, MemberStatus.FULL)) == set()


def test_transferred_out_people_see_nothing(org):
    CourseFactory(title="全体课程")
    CourseFactory(title="一支部课程", audience_units=[org.first])
    person = member(org.first, MemberStatus.FULL)
    assert titles(person) == {"全体课程", "一支部课程"}

    change_status(person.membership, MemberStatus.TRANSFERRED_OUT, on=timezone.localdate(), by=None)
    person.refresh_from_db()

    assert titles(person) == set()
    assert not selectors.can_study(person, selectors.live_courses().get(title="全体课程"))


def test_people_without_a_party_record_or_inactive_see_nothing(org):
    CourseFactory(title="全体课程")
    assert titles(UserFactory()) == set()
    inactive = member(org.first)
    inactive.is_active = False
    inactive.save()
    assert titles(inactive) == set()


def test_administrators_see_every_live_course_but_no_drafts(home, org):
    CourseFactory(title="一支部课程", audience_units=[org.first])
    CourseFactory(title="积极分子培训", audience_statuses=[MemberStatus.ACTIVIST])
    CourseFactory(title="草稿课程", publish=False)
    unpublished = CourseFactory(title="已撤下课程")
    unpublished.unpublish()

    assert titles(administrator()) == {"一支部课程", "积极分子培训"}
    assert titles(UserFactory(is_superuser=True)) == {"一支部课程", "积极分子培训"}
    # Editors without the 管理员 role are members like anyone else.
    assert titles(UserFactory(groups=["编辑"])) == set()


def test_courses_are_ordered_required_first_then_by_deadline_undated_last(org):
    today = timezone.localdate()
    CourseFactory(title="选修", required=False)
    CourseFactory(title="必修无期限", required=True)
    CourseFactory(title="必修晚", required=True, deadline=today + datetime.timedelta(days=30))
    CourseFactory(title="必修早", required=True, deadline=today + datetime.timedelta(days=3))

    # Same order on SQLite and PostgreSQL (they sort NULL deadlines differently by default).
    assert [c.title for c in selectors.courses_for(member(org.first))] == ["必修早", "必修晚", "必修无期限", "选修"]


def test_lessons_by_course_lists_live_lessons_in_order(org):
    first, second = CourseFactory(), CourseFactory()
    a = LessonFactory(parent=first, title="甲")
    b = LessonFactory(parent=first, title="乙")
    LessonFactory(parent=first, title="草稿", publish=False)
    c = LessonFactory(parent=second, title="丙")
    empty = CourseFactory()

    found = selectors.lessons_by_course([first, second, empty])

    assert found == {first.pk: [a, b], second.pk: [c], empty.pk: []}


def test_neighbours_skip_unpublished_lessons(org):
    course = CourseFactory()
    a, b, c = LessonFactory(parent=course), LessonFactory(parent=course), LessonFactory(parent=course)
    assert selectors.neighbour_ids(b, course) == (a.pk, c.pk)
    b.unpublish()
    assert selectors.neighbour_ids(a, course) == (None, c.pk)
    assert selectors.neighbour_ids(c, course) == (a.pk, None)


def test_visible_lesson_hides_drafts_other_audiences_and_lessons_of_unpublished_courses(org):
    person = member(org.first)
    mine = CourseFactory(audience_units=[org.first])
    lesson = LessonFactory(parent=mine)
    draft = LessonFactory(parent=mine, publish=False)
    other = LessonFactory(parent=CourseFactory(audience_units=[org.second]))

    assert selectors.visible_lesson(person, lesson.pk) == (lesson, mine)
    assert selectors.visible_lesson(person, draft.pk) is None
    assert selectors.visible_lesson(person, other.pk) is None
    assert selectors.visible_lesson(person, mine.pk) is None  # a course id is not a lesson
    mine.unpublish()
    assert selectors.visible_lesson(person, lesson.pk) is None


@pytest.mark.parametrize(("characters", "expected"), [(30, 10), (1200, 120), (60_000, 1800)])
def test_required_seconds_is_estimated_from_the_text_when_not_set(org, characters, expected):
    lesson = LessonFactory(
        parent=CourseFactory(),
        min_study_minutes=None,
        body=[("heading", "标题"), ("paragraph", RichText(f"<p>{'学' * (characters - 2)}</p>"))],
    )
    assert lesson_text_length(lesson.body.raw_data) == characters
    assert LessonPage.objects.get(pk=lesson.pk).required_seconds == expected


def test_required_seconds_follows_the_published_content_not_drafts(org):
    lesson = LessonFactory(parent=CourseFactory(), min_study_minutes=None, body=[("paragraph", RichText("<p>短</p>"))])
    assert LessonPage.objects.get(pk=lesson.pk).required_seconds == 10

    draft = LessonPage.objects.get(pk=lesson.pk)
    draft.body = [("paragraph", RichText(f"<p>{'学' * 1200}</p>"))]
    revision = draft.save_revision()  # a draft: members still study the published text
    assert LessonPage.objects.get(pk=lesson.pk).required_seconds == 10

    revision.publish()
    assert LessonPage.objects.get(pk=lesson.pk).required_seconds == 120
    minimum = LessonPage.objects.get(pk=lesson.pk)
    minimum.min_study_minutes = 3
    minimum.save_revision().publish()
    assert LessonPage.objects.get(pk=lesson.pk).required_seconds == 180


def test_required_seconds_uses_the_editors_minimum(org):
    lesson = LessonFactory(parent=CourseFactory(), min_study_minutes=5)
    assert LessonPage.objects.get(pk=lesson.pk).required_seconds == 300
