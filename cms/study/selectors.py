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


# ---------------------------------------------------------------------------------------------
# Branch progress report (admin 学习进度). A whole table costs a fixed number of queries — the
# courses, their lessons, the people in scope, their progress rows, the unit tree — however
# many people and courses there are; everything per person is computed in Python with the
# same rules as ``is_in_audience`` and ``course_progress``.
# ---------------------------------------------------------------------------------------------
# Imported here rather than at the top so that this section merges as one block.
from cms.accounts.models import Membership, OrganisationUnit  # noqa: E402
from cms.accounts.selectors import Scope  # noqa: E402

#: The report's state filter: the three states plus 已逾期, which overlays 未开始/学习中.
REPORT_STATE_CHOICES = [
    ("not_started", "未开始"), ("in_progress", "学习中"), ("completed", "已学完"), ("overdue", "已逾期"),
]


def can_view_progress(user: User, scope: Scope | None = None) -> bool:
    """Who gets the 学习进度 report: holders of ``study.view_branch_progress`` (支部书记) and
    管理员, provided they look after some unit (a secretary without a unit sees nothing)."""
    from cms.accounts.selectors import scope_of, sees_every_unit

    if not (user.is_authenticated and user.is_active):
        return False
    if not (user.has_perm("study.view_branch_progress") or sees_every_unit(user)):
        return False
    return not (scope or scope_of(user)).is_empty


class UnitTree:
    """The whole organisation tree in one query (a few hundred rows at most): the report needs
    the units below many audience units at once, which ``descendant_ids`` would query level by
    level for each."""

    def __init__(self):
        self.children: dict[int | None, list[int]] = {}
        self.order: dict[int, tuple] = {}
        for pk, parent_id, name, sort_order in OrganisationUnit.objects.values_list(
                "pk", "parent_id", "name", "sort_order"):
            self.children.setdefault(parent_id, []).append(pk)
            self.order[pk] = (sort_order, name)

    def below(self, unit_ids) -> set[int]:
        """The units themselves and everything under them (terminates on a cycle too)."""
        found, frontier = set(unit_ids), list(unit_ids)
        while frontier:
            frontier = [child for pk in frontier for child in self.children.get(pk, ()) if child not in found]
            found.update(frontier)
        return found


@dataclass(frozen=True)
class PersonProgress:
    """One row of a course's drill-down."""

    membership: Membership
    progress: CourseProgress

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def unit_name(self) -> str:
        organisation = self.membership.user.organisation
        return organisation.name if organisation else ""


@dataclass
class CourseReport:
    course: CoursePage
    lessons_total: int
    rows: list[PersonProgress]

    @property
    def audience(self) -> int:
        return len(self.rows)

    def _count(self, predicate) -> int:
        return sum(1 for row in self.rows if predicate(row.progress))

    @property
    def completed(self) -> int:
        return self._count(lambda p: p.state == "completed")

    @property
    def in_progress(self) -> int:
        return self._count(lambda p: p.state == "in_progress")

    @property
    def not_started(self) -> int:
        return self._count(lambda p: p.state == "not_started")

    @property
    def overdue(self) -> int:
        return self._count(lambda p: p.overdue)

    @property
    def completion_rate(self) -> float | None:
        """Share of the audience who completed the course (None when nobody is in it)."""
        return self.completed / self.audience if self.audience else None

    @property
    def completion_label(self) -> str:
        """The rate rounded down to one decimal in integers (99.96% must not read as 100%)."""
        if not self.audience:
            return "—"
        permille = self.completed * 1000 // self.audience
        return f"{permille // 10}.{permille % 10}%" if permille % 10 else f"{permille // 10}%"

    def filtered(self, *, state: str | None = None, unit_ids: set[int] | None = None) -> CourseReport:
        rows = self.rows
        if unit_ids is not None:
            rows = [row for row in rows if row.membership.user.organisation_id in unit_ids]
        if state == "overdue":
            rows = [row for row in rows if row.progress.overdue]
        elif state:
            rows = [row for row in rows if row.progress.state == state]
        return CourseReport(self.course, self.lessons_total, rows)


def _audience_test(course: CoursePage, tree: UnitTree):
    """``is_in_audience`` for a member record already in memory."""
    statuses = set(course.audience_statuses or ())
    chosen = [unit.pk for unit in course.audience_units.all()]  # prefetched by live_courses()
    units = tree.below(chosen) if chosen else None

    def test(membership: Membership) -> bool:
        if membership.status == MemberStatus.TRANSFERRED_OUT:
            return False
        if statuses and membership.status not in statuses:
            return False
        return units is None or membership.user.organisation_id in units

    return test, units


def _people_in_scope(scope: Scope):
    """Member records whose people can study: not 已转出, and with an active account (someone
    who cannot sign in would only ever show as 未开始)."""
    records = (Membership.objects.exclude(status=MemberStatus.TRANSFERRED_OUT)
               .filter(user__is_active=True).select_related("user", "user__organisation"))
    if not scope.everything:
        records = records.filter(user__organisation_id__in=scope.unit_ids)
    return records


def _live_lessons_by_course(courses: list[CoursePage]) -> dict[int, list[int]]:
    """Live lesson ids per course in the editors' order, in one query (lessons can only sit
    directly under a course, so the parent path identifies it)."""
    by_path = {course.path: course.pk for course in courses}
    found: dict[int, list[int]] = {course.pk: [] for course in courses}
    depths = {course.depth + 1 for course in courses}
    for pk, path in (LessonPage.objects.live().filter(depth__in=depths)
                     .order_by("path").values_list("pk", "path")):
        course_id = by_path.get(path[:-LessonPage.steplen])
        if course_id is not None:
            found[course_id].append(pk)
    return found


def progress_reports(scope: Scope, *, course_id: int | None = None) -> list[CourseReport]:
    """Per live course that reaches ``scope`` (``accounts.selectors.scope_of(viewer)``):
    everyone in its audience within the scope with their progress. ``course_id`` narrows it
    to one course (empty list when that course is not live or does not reach the scope)."""
    if scope.is_empty:
        return []
    courses = live_courses()
    if course_id is not None:
        courses = courses.filter(pk=course_id)
    courses = list(courses)
    if not courses:
        return []
    tree = UnitTree()
    lessons = _live_lessons_by_course(courses)
    people = _people_in_scope(scope)
    all_lessons = [pk for ids in lessons.values() for pk in ids]
    records: dict[int, dict[int, LessonProgress]] = {}
    for record in (LessonProgress.objects.filter(lesson_id__in=all_lessons, user__in=people.values("user_id"))
                   .only("user_id", "lesson_id", "seconds_spent", "last_active_at", "completed_at")):
        records.setdefault(record.user_id, {})[record.lesson_id] = record
    people = sorted(people, key=lambda m: (m.user.organisation_id is None,
                                           tree.order.get(m.user.organisation_id, ()), m.user.username))
    reports = []
    for course in courses:
        in_audience, units = _audience_test(course, tree)
        if not scope.everything and units is not None and not (units & scope.unit_ids):
            continue  # aimed at other units only: not this viewer's business
        lesson_ids = lessons[course.pk]
        rows = [PersonProgress(m, course_progress(m.user, course, lesson_ids, records.get(m.user_id, {})))
                for m in people if in_audience(m)]
        reports.append(CourseReport(course, len(lesson_ids), rows))
    return reports


def course_report(scope: Scope, course_id: int) -> CourseReport | None:
    reports = progress_reports(scope, course_id=course_id)
    return reports[0] if reports else None
