"""Writes of study progress. The page reports time while it is visible; the server only
credits what is plausible, so progress figures mean something to branch secretaries."""

from __future__ import annotations

import datetime
import functools

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import Page

from cms.accounts.models import User
from cms.core.sql import hot_connection

from .models import LessonPage, LessonProgress, StudyIndexPage
from .selectors import StudyRecord, may_study, studyable_course

#: The page reports every ~30 s while visible; one report may not claim more than this.
MAX_REPORT_SECONDS = 120
#: Network delay and timer jitter tolerated between two reports.
REPORT_SLACK_SECONDS = 5
#: Time beyond which more study of one lesson is not counted (keeps statistics sane).
MIN_LESSON_CAP_SECONDS = 30 * 60
#: Reports of one lesson arriving at the same moment: how often one is worked out again.
REPORT_RETRIES = 3
NO_ACCESS_MESSAGE = "您不在这门课程的学习范围内。"
#: What a report changes; its conditional UPDATE applies only if they are still as read.
_CREDITED_FIELDS = ("seconds_spent", "last_active_at", "credited_until")


def _update_if_unchanged(progress: LessonProgress, read: dict) -> bool:
    """Write ``progress``'s credited fields only if the row still holds ``read``: one UPDATE,
    written out in SQL because through the ORM building it cost more CPU than the database
    spent running it, on the study pages' hottest request. False when another report won."""
    db = hot_connection()
    fields = [LessonProgress._meta.get_field(name) for name in _CREDITED_FIELDS]
    was_null = tuple(read[field.name] is None for field in fields)
    params = [field.get_db_prep_save(getattr(progress, field.name), db) for field in fields]
    params.append(progress.pk)
    params += [field.get_db_prep_save(read[field.name], db) for field, null in zip(fields, was_null) if not null]
    with db.cursor() as cursor:
        cursor.execute(_update_sql(db.vendor, was_null), params)
        return cursor.rowcount == 1


@functools.cache
def _update_sql(vendor: str, was_null: tuple[bool, ...]) -> str:
    q = connection.ops.quote_name
    meta = LessonProgress._meta
    fields = [meta.get_field(name) for name in _CREDITED_FIELDS]
    assignments = ", ".join(f"{q(field.column)} = %s" for field in fields)
    conditions = [f"{q(meta.pk.column)} = %s"]
    conditions += [f"{q(field.column)} {'IS NULL' if null else '= %s'}" for field, null in zip(fields, was_null)]
    return f"UPDATE {q(meta.db_table)} SET {assignments} WHERE {' AND '.join(conditions)}"


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


def lesson_cap_seconds(lesson: LessonPage) -> int:
    return max(3 * lesson.required_seconds, MIN_LESSON_CAP_SECONDS)


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


def record_study_time(
    user: User,
    lesson: LessonPage,
    seconds,
    *,
    now: datetime.datetime | None = None,
    record: StudyRecord | None = None,
) -> LessonProgress:
    """Credit ``seconds`` of visible-page time, but only wall-clock time not credited yet.

    ``credited_until`` is the moment up to which study time has been credited. A report gets
    at most the time from there to now, plus a few seconds of slack for timer jitter that is
    then owed back (the clock runs ahead), so reports every second, a second tab or a tampered
    timer earn no more than real time. Time the page was hidden is not claimable later beyond
    one report's worth, and the lesson stops counting at its cap.

    The hot request of the study pages (every open lesson, every ~30 s): no transaction and no
    row lock, but a conditional UPDATE that only applies to the row as it was read. Of two
    reports at once, the second finds the row changed and is worked out again from the new
    row, so the same seconds are never credited twice. ``record``: the person's record of this
    lesson with its course's audience as just read by the caller (``selectors.study_record``,
    the heartbeat's one read), spares reading them again; the access rule is applied to it
    here all the same."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= MAX_REPORT_SECONDS:
        raise ValidationError(f"学习时长须为 1 到 {MAX_REPORT_SECONDS} 之间的整数（秒）。")
    progress = None
    if record is None:
        _check_access(user, lesson)
    else:
        progress = record.progress
        if (progress.user_id, progress.lesson_id) != (user.pk, lesson.pk):
            raise ValueError("the record is not this person's record of this lesson")
        if not may_study(user, record.audience, path_ids=record.path_ids):
            raise PermissionDenied(NO_ACCESS_MESSAGE)
    now = now or timezone.now()
    cap = lesson_cap_seconds(lesson)
    for attempt in range(REPORT_RETRIES):
        if attempt or progress is None:
            progress = LessonProgress.objects.filter(user=user, lesson=lesson).first()
        if progress is None:
            raise ValidationError("请先打开课时再上报学习时长。")
        progress.lesson = lesson  # already loaded: the answer reads its minimum time
        read = {field: getattr(progress, field) for field in _CREDITED_FIELDS}
        credited_until = progress.credited_until or progress.last_active_at
        available = int((now - credited_until).total_seconds()) + REPORT_SLACK_SECONDS
        credit = max(0, min(seconds, available))
        progress.credited_until = max(
            credited_until + datetime.timedelta(seconds=credit), now - datetime.timedelta(seconds=MAX_REPORT_SECONDS)
        )
        progress.seconds_spent = min(progress.seconds_spent + credit, cap)
        progress.last_active_at = now
        if _update_if_unchanged(progress, read):
            return progress
    # Reports kept racing in (many tabs at once): they were credited; this one adds nothing.
    progress = LessonProgress.objects.get(pk=progress.pk)
    progress.lesson = lesson
    return progress


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
