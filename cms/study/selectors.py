"""Reads of study material and progress: who may see which course, and how far people are."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.html import strip_tags

from cms.accounts.models import MemberStatus, User
from cms.accounts.roles import ADMINISTRATOR
from cms.accounts.selectors import descendant_ids

from .models import CoursePage, LessonPage, LessonProgress

#: Reading speed used to estimate a lesson's minimum study time when the editor sets none.
CHARACTERS_PER_SECOND = 10  # ≈ 600 Chinese characters a minute: a quick but real read
MIN_ESTIMATED_SECONDS = 10
MAX_ESTIMATED_SECONDS = 30 * 60


def is_study_admin(user: User) -> bool:
    """管理员 and superusers may open every live course (to check what members will see)."""
    return user.is_active and (user.is_superuser or user.groups.filter(name=ADMINISTRATOR).exists())


def _audience_unit_ids(course: CoursePage) -> set[int]:
    ids: set[int] = set()
    for unit in course.audience_units.all():
        ids.update(descendant_ids(unit))
    return ids


def is_in_audience(user: User, course: CoursePage) -> bool:
    """A person is in a course's audience when they have a Party record that is not 已转出, their
    status is among the course's statuses (none ticked = all) and their organisation is one of
    the course's units or below one (none chosen = everyone)."""
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    if membership is None or membership.status == MemberStatus.TRANSFERRED_OUT:
        return False
    if course.audience_statuses and membership.status not in course.audience_statuses:
        return False
    if course.audience_units.exists():
        return user.organisation_id in _audience_unit_ids(course)
    return True


def live_courses():
    return (CoursePage.objects.live().prefetch_related("audience_units")
            .order_by("-required", "deadline", "path"))


def courses_for(user: User) -> list[CoursePage]:
    """Live courses the person may study: their audience's, or every one for study admins."""
    if not user.is_authenticated or not user.is_active:
        return []
    courses = list(live_courses())
    if is_study_admin(user):
        return courses
    return [course for course in courses if is_in_audience(user, course)]


def can_study(user: User, course: CoursePage) -> bool:
    if not (user.is_authenticated and user.is_active and course.live):
        return False
    return is_study_admin(user) or is_in_audience(user, course)


def lessons_of(course: CoursePage):
    """Live lessons in the order editors arranged them."""
    return LessonPage.objects.child_of(course).live().order_by("path")


def course_of(lesson: LessonPage) -> CoursePage | None:
    return CoursePage.objects.filter(pk=lesson.get_parent().pk).first()


def lesson_text_length(lesson: LessonPage) -> int:
    text = "".join(strip_tags(str(block.render())) for block in lesson.body if block.block_type in {"paragraph", "heading", "quote"})
    return len("".join(text.split()))


def required_seconds(lesson: LessonPage) -> int:
    """How long a person must have studied a lesson before it can count as completed."""
    if lesson.min_study_minutes is not None:
        return lesson.min_study_minutes * 60
    estimate = lesson_text_length(lesson) // CHARACTERS_PER_SECOND
    return max(MIN_ESTIMATED_SECONDS, min(MAX_ESTIMATED_SECONDS, estimate))


@dataclass(frozen=True)
class CourseProgress:
    course: CoursePage
    lessons_total: int
    lessons_completed: int
    seconds_spent: int
    started: bool
    last_active_at: datetime.datetime | None

    @property
    def completed(self) -> bool:
        return self.lessons_total > 0 and self.lessons_completed == self.lessons_total

    @property
    def overdue(self) -> bool:
        deadline = self.course.deadline
        return bool(self.course.required and deadline and not self.completed and deadline < timezone.localdate())

    @property
    def state(self) -> str:
        if self.completed:
            return "completed"
        return "in_progress" if self.started else "not_started"

    @property
    def state_label(self) -> str:
        return {"completed": "已学完", "in_progress": "学习中", "not_started": "未开始"}[self.state]


def progress_by_lesson(user: User, lesson_ids) -> dict[int, LessonProgress]:
    return {p.lesson_id: p for p in LessonProgress.objects.filter(user=user, lesson_id__in=list(lesson_ids))}


def course_progress(user: User, course: CoursePage, lesson_ids: list[int] | None = None,
                    records: dict[int, LessonProgress] | None = None) -> CourseProgress:
    """One person's progress in one course; completion follows from the live lessons."""
    if lesson_ids is None:
        lesson_ids = list(lessons_of(course).values_list("pk", flat=True))
    if records is None:
        records = progress_by_lesson(user, lesson_ids)
    mine = [records[pk] for pk in lesson_ids if pk in records]
    return CourseProgress(
        course=course,
        lessons_total=len(lesson_ids),
        lessons_completed=sum(1 for p in mine if p.completed_at),
        seconds_spent=sum(p.seconds_spent for p in mine),
        started=bool(mine),
        last_active_at=max((p.last_active_at for p in mine), default=None),
    )
