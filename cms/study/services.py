"""Writes of study progress. The page reports time while it is visible; the server only
credits what is plausible, so progress figures mean something to branch secretaries."""

from __future__ import annotations

import datetime
import functools

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import Page

from cms.accounts.models import MemberStatus, Membership, User
from cms.accounts.selectors import ancestors_sql
from cms.core.sql import columns as sql_columns
from cms.core.sql import hot_connection, loaded

from .models import CoursePage, LessonPage, LessonProgress, StudyIndexPage
from .selectors import live_lesson, studyable_course

#: The page reports every ~30 s while visible; one report may not claim more than this.
MAX_REPORT_SECONDS = 120
#: Network delay and timer jitter tolerated between two reports.
REPORT_SLACK_SECONDS = 5
#: Time beyond which more study of one lesson is not counted (keeps statistics sane).
MIN_LESSON_CAP_SECONDS = 30 * 60
NO_ACCESS_MESSAGE = "您不在这门课程的学习范围内。"
NOT_OPENED_MESSAGE = "请先打开课时再上报学习时长。"


def ensure_study_root() -> StudyIndexPage:
    """The private 学习园地 root, directly under Wagtail's root (outside every Site)."""
    root = StudyIndexPage.objects.first()
    if root is not None:
        return root
    root = Page.get_first_root_node().add_child(instance=StudyIndexPage(title="学习园地", slug="study", live=False))
    root.save_revision().publish()
    return root


def _check_access(user: User, lesson: LessonPage) -> None:
    if studyable_course(user, lesson) is None:
        raise PermissionDenied(NO_ACCESS_MESSAGE)


def open_lesson(user: User, lesson: LessonPage, *, now: datetime.datetime | None = None) -> LessonProgress:
    """Record that the person opened the lesson (the first time starts the clock)."""
    _check_access(user, lesson)
    now = now or timezone.now()
    progress, created = LessonProgress.objects.get_or_create(
        user=user, lesson=lesson, defaults={"opened_at": now, "last_active_at": now, "credited_until": now}
    )
    if not created:
        # A new visit: time away from the page is not study time. Time already credited ahead
        # of the clock stays ahead, so reopening the page again and again gains nothing.
        progress.last_active_at = now
        progress.credited_until = max(progress.credited_until or now, now)
        LessonProgress.objects.filter(pk=progress.pk).update(last_active_at=now, credited_until=progress.credited_until)
    return progress


def _locked_progress(user: User, lesson: LessonPage, *, missing: str) -> LessonProgress:
    """The person's record for the lesson, locked until the transaction ends (two reports at
    once must not both credit the same seconds)."""
    progress = LessonProgress.objects.select_for_update().filter(user=user, lesson=lesson).first()
    if progress is None:
        raise ValidationError(missing)
    progress.lesson = lesson  # already loaded: the answer reads its minimum time
    return progress


def record_study_time(user: User, lesson_id: int, seconds, *, now: datetime.datetime | None = None) -> LessonProgress:
    """Credit ``seconds`` of visible-page time, but only wall-clock time not credited yet.

    ``credited_until`` is the moment up to which study time has been credited. A report gets
    at most the time from there to now, plus a few seconds of slack for timer jitter that is
    then owed back (the clock runs ahead), so reports every second, a second tab or a tampered
    timer earn no more than real time. Time the page was hidden is not claimable later beyond
    one report's worth, and the lesson stops counting at its cap.

    The hot request of the study pages (every open lesson, every ~30 s): one UPDATE that
    works the credit out from the row it changes and applies only when the lesson and its
    course are live and the person is in the course's audience (``_credit_sql``), so two
    reports at once are credited one after the other, never the same seconds twice. Only
    when it changes nothing is the reason looked up: a study administrator outside the
    audience is credited then; anyone else is refused."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= MAX_REPORT_SECONDS:
        raise ValidationError(f"学习时长须为 1 到 {MAX_REPORT_SECONDS} 之间的整数（秒）。")
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(NO_ACCESS_MESSAGE)
    now = now or timezone.now()
    progress = _credit(user, lesson_id, seconds, now, audience_checked=False)
    if progress is not None:
        return progress
    lesson = live_lesson(lesson_id)
    if lesson is None:
        raise PermissionDenied(NO_ACCESS_MESSAGE)  # the same answer as "not yours"
    _check_access(user, lesson)  # members outside the audience stop here; study admins pass
    progress = _credit(user, lesson_id, seconds, now, audience_checked=True)
    if progress is None:
        raise ValidationError(NOT_OPENED_MESSAGE)
    return progress


#: What the heartbeat answers with: the record's fields, then the lesson's minimum time.
_PROGRESS_FIELDS = tuple(field.name for field in LessonProgress._meta.concrete_fields)


def _credit(
    user: User, lesson_id: int, seconds: int, now: datetime.datetime, *, audience_checked: bool
) -> LessonProgress | None:
    db = hot_connection()
    params = {
        "user": user.pk,
        "lesson": lesson_id,
        "unit": user.organisation_id,
        "seconds": seconds,
        "now": LessonProgress._meta.get_field("last_active_at").get_db_prep_save(now, db),
        "gone": MemberStatus.TRANSFERRED_OUT.value,
    }
    rows = loaded(LessonProgress, _PROGRESS_FIELDS, _credit_sql(db.vendor, audience_checked), params)
    if not rows:
        return None
    progress, (required_seconds,) = rows[0]
    progress.required_seconds = required_seconds
    return progress


@functools.cache
def _credit_sql(vendor: str, audience_checked: bool) -> str:
    """``record_study_time``'s statement, the same text for every heartbeat (prepared by
    PostgreSQL once per connection). The credit is worked out in SQL from the row being
    changed: PostgreSQL re-evaluates it on the newest row when another report got there
    first, SQLite runs one writer at a time. Without ``audience_checked`` it applies only to
    a person of the course's audience: the rule of ``cms.accounts.audience.in_audience`` (a
    Party record not transferred out, the course's statuses, a unit of the course at or
    above the person's), which tests/study/test_heartbeat_rule.py holds to that function.
    Written out in SQL because this request is the member API's hottest after the answer
    save, and a read before the write cost a round trip to the database."""
    q = connection.ops.quote_name
    progress = q(LessonProgress._meta.db_table)
    lesson_pages = q(LessonPage._meta.db_table)
    units = q(CoursePage.audience_units.through._meta.db_table)
    col = {name: q(LessonProgress._meta.get_field(name).column) for name in _PROGRESS_FIELDS}
    since = f"COALESCE({col['credited_until']}, {col['last_active_at']})"
    if vendor == "postgresql":
        least, greatest = "LEAST", "GREATEST"
        elapsed = f"TRUNC(EXTRACT(EPOCH FROM (%(now)s - {since})))::integer"
        credit = f"{greatest}(0, {least}(%(seconds)s, {elapsed} + {REPORT_SLACK_SECONDS}))"
        credited_until = (
            f"{greatest}({since} + {credit} * INTERVAL '1 second', %(now)s - INTERVAL '{MAX_REPORT_SECONDS} seconds')"
        )
        no_statuses = "jsonb_array_length(course_page.audience_statuses) = 0"
        has_status = "course_page.audience_statuses @> jsonb_build_array(membership.status)"
    else:  # SQLite keeps datetimes as text: its date functions count in whole milliseconds
        least, greatest = "MIN", "MAX"
        elapsed = f"CAST(ROUND((julianday(%(now)s) - julianday({since})) * 86400000) AS INTEGER) / 1000"
        credit = f"{greatest}(0, {least}(%(seconds)s, {elapsed} + {REPORT_SLACK_SECONDS}))"
        moment = "'%%Y-%%m-%%d %%H:%%M:%%f'"
        credited_until = (
            f"{greatest}(strftime({moment}, {since}, '+' || ({credit}) || ' seconds'), "
            f"strftime({moment}, %(now)s, '-{MAX_REPORT_SECONDS} seconds'))"
        )
        no_statuses = "json_array_length(course_page.audience_statuses) = 0"
        has_status = (
            "EXISTS (SELECT 1 FROM json_each(course_page.audience_statuses) status "
            "WHERE status.value = membership.status)"
        )
    required = f"(SELECT required_seconds FROM {lesson_pages} WHERE page_ptr_id = %(lesson)s)"
    cap = f"{greatest}(3 * {required}, {MIN_LESSON_CAP_SECONDS})"
    audience = (
        ""
        if audience_checked
        else f"""
        AND membership.status <> %(gone)s
        AND ({no_statuses} OR {has_status})
        AND (
            NOT EXISTS (SELECT 1 FROM {units} unit WHERE unit.coursepage_id = course.id)
            OR EXISTS (
                SELECT 1 FROM {units} unit
                WHERE unit.coursepage_id = course.id AND unit.organisationunit_id IN ({ancestors_sql("%(unit)s")})
            )
        )"""
    )
    people = (
        "" if audience_checked else f"JOIN {q(Membership._meta.db_table)} membership ON membership.user_id = %(user)s"
    )
    sql = f"""
        UPDATE {progress} SET
            {col["seconds_spent"]} = {least}({col["seconds_spent"]} + {credit}, {cap}),
            {col["credited_until"]} = {credited_until},
            {col["last_active_at"]} = %(now)s
        WHERE {col["user"]} = %(user)s AND {col["lesson"]} = %(lesson)s AND EXISTS (
            SELECT 1 FROM {q(Page._meta.db_table)} lesson
            JOIN {q(Page._meta.db_table)} course
                ON course.path = SUBSTR(lesson.path, 1, LENGTH(lesson.path) - {LessonPage.steplen})
            JOIN {q(CoursePage._meta.db_table)} course_page ON course_page.page_ptr_id = course.id
            {people}
            WHERE lesson.id = %(lesson)s AND lesson.live AND course.live{audience}
        )
        RETURNING {sql_columns(LessonProgress, _PROGRESS_FIELDS)}, {required}
    """
    return " ".join(sql.split())  # one line in logs and pg_stat_statements


def complete_lesson(user: User, lesson: LessonPage, *, now: datetime.datetime | None = None) -> LessonProgress:
    """Mark the lesson completed once the person has studied it long enough."""
    _check_access(user, lesson)
    now = now or timezone.now()
    with transaction.atomic():
        progress = _locked_progress(user, lesson, missing="请先打开并学习本课时。")
        if progress.completed_at:
            return progress
        needed = lesson.required_seconds
        if progress.seconds_spent < needed:
            remaining = needed - progress.seconds_spent
            raise ValidationError(
                f"学习时长还不够：本课时至少需要学习 {_duration(needed)}，"
                f"已学习 {_duration(progress.seconds_spent)}，还需约 {_duration(remaining)}。"
            )
        progress.completed_at = now
        progress.save(update_fields=["completed_at"])
    return progress


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if minutes and rest:
        return f"{minutes} 分 {rest} 秒"
    return f"{minutes} 分钟" if minutes else f"{rest} 秒"
