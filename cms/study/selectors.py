"""Reads of study material and progress: who may see which course, and how far people are."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.db.models import F
from django.db.models.functions import Left
from django.utils import timezone

from cms.accounts.audience import in_audience, is_in_audience, organisation_path_ids
from cms.accounts.models import MemberStatus, Membership, User
from cms.accounts.roles import ADMINISTRATOR

from .models import CoursePage, LessonPage, LessonProgress

#: Other apps' conditions for a course to count as completed, e.g. cms/assessment's "a
#: quiz linked to the course is passed". Each takes Membership rows (user and organisation
#: loaded) and course ids and answers the (user id, course id) pairs still waiting; apps
#: register theirs in ``AppConfig.ready`` (study never imports them).
CompletionGate = Callable[[list, list[int]], set[tuple[int, int]]]
_COMPLETION_GATES: list[CompletionGate] = []


def register_completion_gate(waiting: CompletionGate) -> None:
    if waiting not in _COMPLETION_GATES:
        _COMPLETION_GATES.append(waiting)


def courses_waiting(people: list, course_ids: list[int]) -> set[tuple[int, int]]:
    """(user id, course id) pairs another app still holds back from completion."""
    waiting: set[tuple[int, int]] = set()
    for gate in _COMPLETION_GATES:
        waiting |= gate(people, course_ids)
    return waiting


def _gate_course_progress(user: User, overviews: list[CourseProgress]) -> list[CourseProgress]:
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    if membership is None or not overviews:
        return overviews
    waiting = courses_waiting([membership], [o.course.pk for o in overviews])
    return [replace(o, quiz_pending=(user.pk, o.course.pk) in waiting) for o in overviews]


def is_study_admin(user: User) -> bool:
    """管理员 and superusers may open every live course (to check what members will see)."""
    return user.is_active and (user.is_superuser or user.groups.filter(name=ADMINISTRATOR).exists())


def live_courses():
    # Required first, then by deadline with undated courses last on every database
    # (SQLite and PostgreSQL disagree where NULLs sort by default).
    return (
        CoursePage.objects.live()
        .prefetch_related("audience_units")
        .order_by("-required", F("deadline").asc(nulls_last=True), "path")
    )


def courses_for(user: User) -> list[CoursePage]:
    """Live courses the person may study: their audience's, or every one for study admins."""
    if not user.is_authenticated or not user.is_active:
        return []
    courses = list(live_courses())
    if is_study_admin(user):
        return courses
    path_ids = organisation_path_ids(user)
    return [course for course in courses if is_in_audience(user, course, path_ids=path_ids)]


@dataclass(frozen=True)
class CourseAudience:
    """What decides who may study a course, without the rest of the course."""

    live: bool
    statuses: list[str]
    unit_ids: frozenset[int]


def may_study(user: User, audience: CourseAudience, *, path_ids: set[int] | None = None) -> bool:
    """The one access rule for a course and its lessons."""
    if not (user.is_authenticated and user.is_active and audience.live):
        return False
    # The audience first: members are nearly everyone who asks, and it spares the group query.
    return in_audience(user, audience.statuses, audience.unit_ids, path_ids=path_ids) or is_study_admin(user)


def can_study(user: User, course: CoursePage) -> bool:
    units = frozenset(unit.pk for unit in course.audience_units.all())
    return may_study(user, CourseAudience(course.live, course.audience_statuses, units))


def lessons_of(course: CoursePage):
    """Live lessons in the order editors arranged them."""
    return LessonPage.objects.child_of(course).live().order_by("path")


def course_of(lesson: LessonPage) -> CoursePage | None:
    """The lesson's course with its audience units."""
    return CoursePage.objects.prefetch_related("audience_units").filter(path=_course_path(lesson)).first()


def _course_path(lesson: LessonPage) -> str:
    # The parent's tree path is the lesson's minus its last step: no walk up the tree.
    return lesson.path[: -LessonPage.steplen]


def lessons_by_course(courses) -> dict[int, list[LessonPage]]:
    """Live lessons of several courses, in the editors' order, in one query (per tree depth,
    and every course sits at the same depth under 学习园地). Without their bodies: lists show
    titles, summaries and the stored minimum study time."""
    courses = list(courses)
    result: dict[int, list[LessonPage]] = {course.pk: [] for course in courses}
    by_depth: dict[int, dict[str, int]] = {}
    for course in courses:
        by_depth.setdefault(course.depth, {})[course.path] = course.pk
    for depth, course_paths in by_depth.items():
        prefix_length = depth * LessonPage.steplen
        lessons = (
            LessonPage.objects.live()
            .annotate(parent_path=Left("path", prefix_length))
            .filter(depth=depth + 1, parent_path__in=list(course_paths))
            .order_by("path")
            .defer("body")
        )
        for lesson in lessons:
            result[course_paths[lesson.parent_path]].append(lesson)
    return result


@dataclass(frozen=True)
class LessonStatus:
    """One live lesson of a course with the person's record of it (None: never opened)."""

    lesson: LessonPage
    record: LessonProgress | None

    @property
    def required_seconds(self) -> int:
        return self.lesson.required_seconds

    @property
    def seconds_spent(self) -> int:
        return self.record.seconds_spent if self.record else 0

    @property
    def opened(self) -> bool:
        return self.record is not None

    @property
    def completed(self) -> bool:
        return bool(self.record and self.record.completed_at)


@dataclass(frozen=True)
class CourseProgress:
    course: CoursePage
    lessons_total: int
    lessons_completed: int
    seconds_spent: int
    started: bool
    last_active_at: datetime.datetime | None
    #: Filled by ``course_overviews``: each live lesson with the person's record.
    lessons: tuple[LessonStatus, ...] = field(default=(), compare=False)
    #: A quiz linked to the course (cms/assessment) is not passed yet: not completed.
    quiz_pending: bool = False

    @property
    def completed(self) -> bool:
        return self.lessons_total > 0 and self.lessons_completed == self.lessons_total and not self.quiz_pending

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


def course_progress(
    user: User,
    course: CoursePage,
    lesson_ids: list[int] | None = None,
    records: dict[int, LessonProgress] | None = None,
) -> CourseProgress:
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


def course_overviews(user: User, courses, *, with_lessons: bool = False) -> list[CourseProgress]:
    """Progress in several courses with a fixed number of queries however many courses and
    lessons there are. ``with_lessons`` also fills ``CourseProgress.lessons``."""
    courses = list(courses)
    lessons = lessons_by_course(courses)
    records = progress_by_lesson(user, [lesson.pk for group in lessons.values() for lesson in group])
    overviews = []
    for course in courses:
        progress = course_progress(user, course, [lesson.pk for lesson in lessons[course.pk]], records)
        if with_lessons:
            statuses = tuple(LessonStatus(lesson, records.get(lesson.pk)) for lesson in lessons[course.pk])
            progress = replace(progress, lessons=statuses)
        overviews.append(progress)
    return _gate_course_progress(user, overviews)  # e.g. linked quizzes must be passed


def study_totals(overviews: list[CourseProgress]) -> dict[str, int]:
    return {
        "courses": len(overviews),
        "completed": sum(1 for o in overviews if o.completed),
        "overdue": sum(1 for o in overviews if o.overdue),
        "seconds_spent": sum(o.seconds_spent for o in overviews),
    }


def visible_course(user: User, course_id: int) -> CoursePage | None:
    """A live course the person may study, or None — whether it is missing, unpublished or
    outside their audience is deliberately not told apart."""
    course = live_courses().filter(pk=course_id).first()
    return course if course is not None and can_study(user, course) else None


def studyable_course(user: User, lesson: LessonPage) -> CoursePage | None:
    """The lesson's course when the lesson is live and the person may study it; else None.
    The one access rule for a lesson: the API's reads and the services' writes both use it."""
    course = course_of(lesson) if lesson.live else None
    return course if course is not None and can_study(user, course) else None


def live_lesson(lesson_id: int) -> LessonPage | None:
    return LessonPage.objects.live().filter(pk=lesson_id).first()


def visible_lesson(user: User, lesson_id: int) -> tuple[LessonPage, CoursePage] | None:
    """A live lesson of a course the person may study, with that course; else None."""
    lesson = live_lesson(lesson_id)
    course = studyable_course(user, lesson) if lesson is not None else None
    return (lesson, course) if course is not None else None


def neighbour_ids(lesson: LessonPage, course: CoursePage) -> tuple[int | None, int | None]:
    """Ids of the previous and next live lessons of the course (None at either end)."""
    ids = list(lessons_of(course).values_list("pk", flat=True))
    if lesson.pk not in ids:
        return None, None
    index = ids.index(lesson.pk)
    return (ids[index - 1] if index > 0 else None), (ids[index + 1] if index + 1 < len(ids) else None)


def progress_of(user: User, lesson: LessonPage) -> LessonProgress | None:
    record = LessonProgress.objects.filter(user=user, lesson=lesson).first()
    if record is not None:
        record.lesson = lesson  # already loaded: spares a query when its minimum time is read
    return record


@dataclass(frozen=True)
class LessonDetail:
    """What the lesson page shows: the lesson, its course, its neighbours and my record."""

    lesson: LessonPage
    course: CoursePage
    previous_id: int | None
    next_id: int | None
    record: LessonProgress | None

    @property
    def required_seconds(self) -> int:
        return self.lesson.required_seconds


def lesson_detail(user: User, lesson: LessonPage, course: CoursePage) -> LessonDetail:
    """Read only: opening the lesson is recorded separately (``services.open_lesson``)."""
    previous_id, next_id = neighbour_ids(lesson, course)
    return LessonDetail(lesson, course, previous_id, next_id, progress_of(user, lesson))


# ---------------------------------------------------------------------------------------------
# Branch progress report (admin 学习进度). A whole table costs a fixed number of queries — the
# courses, their lessons, the people in scope, their progress rows, the unit tree — however
# many people and courses there are; everything per person is computed in Python with the
# same rules as ``is_in_audience`` and ``course_progress``.
# ---------------------------------------------------------------------------------------------
# Imported here rather than at the top so that this section merges as one block.
from cms.accounts.audience import UnitTree, audience_test  # noqa: E402 (shared; UnitTree also for views_admin)
from cms.accounts.selectors import Scope  # noqa: E402

#: The report's state filter: the three states plus 已逾期, which overlays 未开始/学习中.
REPORT_STATE_CHOICES = [
    ("not_started", "未开始"),
    ("in_progress", "学习中"),
    ("completed", "已学完"),
    ("overdue", "已逾期"),
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


def _people_in_scope(scope: Scope):
    """Member records whose people can study: not 已转出, and with an active account (someone
    who cannot sign in would only ever show as 未开始)."""
    records = (
        Membership.objects.exclude(status=MemberStatus.TRANSFERRED_OUT)
        .filter(user__is_active=True)
        .select_related("user", "user__organisation")
    )
    if not scope.everything:
        records = records.filter(user__organisation_id__in=scope.unit_ids)
    return records


def _live_lessons_by_course(courses: list[CoursePage]) -> dict[int, list[int]]:
    """Live lesson ids per course in the editors' order, in one query (lessons can only sit
    directly under a course, so the parent path identifies it)."""
    by_path = {course.path: course.pk for course in courses}
    found: dict[int, list[int]] = {course.pk: [] for course in courses}
    depths = {course.depth + 1 for course in courses}
    for pk, path in LessonPage.objects.live().filter(depth__in=depths).order_by("path").values_list("pk", "path"):
        course_id = by_path.get(path[: -LessonPage.steplen])
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
    for record in LessonProgress.objects.filter(lesson_id__in=all_lessons, user__in=people.values("user_id")).only(
        "user_id", "lesson_id", "seconds_spent", "last_active_at", "completed_at"
    ):
        records.setdefault(record.user_id, {})[record.lesson_id] = record
    people = sorted(
        people,
        key=lambda m: (m.user.organisation_id is None, tree.order.get(m.user.organisation_id, ()), m.user.username),
    )
    waiting = courses_waiting(people, [course.pk for course in courses])
    reports = []
    for course in courses:
        in_audience, units = audience_test(course, tree)
        if not scope.everything and units is not None and not (units & scope.unit_ids):
            continue  # aimed at other units only: not this viewer's business
        lesson_ids = lessons[course.pk]
        rows = [
            PersonProgress(
                m,
                replace(
                    course_progress(m.user, course, lesson_ids, records.get(m.user_id, {})),
                    quiz_pending=(m.user_id, course.pk) in waiting,
                ),
            )
            for m in people
            if in_audience(m)
        ]
        reports.append(CourseReport(course, len(lesson_ids), rows))
    return reports


def course_report(scope: Scope, course_id: int) -> CourseReport | None:
    reports = progress_reports(scope, course_id=course_id)
    return reports[0] if reports else None
