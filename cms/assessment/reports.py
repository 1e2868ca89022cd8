"""Secretaries' reports (admin 测评统计), scoped like the study progress report: a viewer
sees the people of ``accounts.selectors.scope_of(viewer)`` only. A report costs a fixed
number of queries however many people and attempts there are."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from cms.accounts.audience import UnitTree, audience_test
from cms.accounts.models import MemberStatus, Membership, User
from cms.accounts.selectors import Scope

from . import selectors
from .models import Attempt, AttemptAnswer, KnowledgePoint, QuizPage

#: Score bands of the distribution (percent, lower bound inclusive).
BANDS = [("90–100", 90, 101), ("80–89", 80, 90), ("70–79", 70, 80), ("60–69", 60, 70), ("0–59", 0, 60)]


def can_view_reports(user: User, scope: Scope | None = None) -> bool:
    from cms.accounts.selectors import scope_of, sees_every_unit

    if not (user.is_authenticated and user.is_active):
        return False
    if not (user.has_perm("assessment.view_branch_assessment") or sees_every_unit(user)):
        return False
    return not (scope or scope_of(user)).is_empty


def _people(scope: Scope):
    records = (
        Membership.objects.exclude(status=MemberStatus.TRANSFERRED_OUT)
        .filter(user__is_active=True)
        .select_related("user", "user__organisation")
    )
    if not scope.everything:
        records = records.filter(user__organisation_id__in=scope.unit_ids)
    return records


@dataclass
class PersonResult:
    membership: Membership
    attempts: list[Attempt]

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def unit_name(self) -> str:
        return self.user.organisation.name if self.user.organisation else ""

    @property
    def submitted(self) -> list[Attempt]:
        return [a for a in self.attempts if a.submitted]

    @property
    def best(self) -> Attempt | None:
        graded = [a for a in self.attempts if a.graded]
        return max(graded, key=lambda a: (a.score, -(a.seconds_used or 0)), default=None)

    @property
    def taken(self) -> bool:
        return bool(self.submitted)


@dataclass
class QuizReport:
    quiz: QuizPage
    rows: list[PersonResult]

    @property
    def audience(self) -> int:
        return len(self.rows)

    @property
    def taken(self) -> list[PersonResult]:
        return [row for row in self.rows if row.taken]

    @property
    def not_taken(self) -> list[PersonResult]:
        return [row for row in self.rows if not row.taken]

    @property
    def scored(self) -> list[PersonResult]:
        """Those with a score (a hand-in being graded has none for a second or so)."""
        return [row for row in self.taken if row.best is not None]

    @property
    def passed(self) -> int:
        return sum(1 for row in self.scored if row.best.passed)

    @property
    def mean(self) -> float | None:
        scores = [float(row.best.score) for row in self.scored]
        return round(sum(scores) / len(scores), 1) if scores else None

    @property
    def distribution(self) -> list[tuple[str, int]]:
        scores = [float(row.best.score) for row in self.scored]
        return [(label, sum(1 for s in scores if low <= s < high)) for label, low, high in BANDS]


def quiz_reports(scope: Scope, *, quiz_id: int | None = None) -> list[QuizReport]:
    """Per live quiz that reaches the scope: everyone in its audience within the scope, with
    their attempts."""
    if scope.is_empty:
        return []
    quizzes = selectors.live_quizzes().order_by("path")
    if quiz_id is not None:
        quizzes = quizzes.filter(pk=quiz_id)
    quizzes = list(quizzes)
    if not quizzes:
        return []
    tree = UnitTree()
    people = sorted(
        _people(scope),
        key=lambda m: (m.user.organisation_id is None, tree.order.get(m.user.organisation_id, ()), m.user.username),
    )
    attempts: dict[tuple[int, int], list[Attempt]] = {}
    for attempt in Attempt.objects.filter(quiz__in=quizzes, user__in=[m.user_id for m in people]).order_by(
        "started_at"
    ):
        attempts.setdefault((attempt.quiz_id, attempt.user_id), []).append(attempt)
    reports = []
    for quiz in quizzes:
        in_audience, units = audience_test(quiz, tree)
        if not scope.everything and units is not None and not (units & scope.unit_ids):
            continue
        rows = [PersonResult(m, attempts.get((quiz.pk, m.user_id), [])) for m in people if in_audience(m)]
        reports.append(QuizReport(quiz, rows))
    return reports


def quiz_report(scope: Scope, quiz_id: int) -> QuizReport | None:
    reports = quiz_reports(scope, quiz_id=quiz_id)
    return reports[0] if reports else None


@dataclass
class MissedPoint:
    point: KnowledgePoint
    answered: int
    wrong: int

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.answered if self.answered else 0.0

    @property
    def wrong_label(self) -> str:
        return f"{self.wrong_rate * 100:.1f}%"


def missed_points(scope: Scope, *, at_most: int = 20) -> list[MissedPoint]:
    """The knowledge points the scope's people miss most (share of graded answers not fully
    right, over every quiz and practice), worst first."""
    if scope.is_empty:
        return []
    answers = AttemptAnswer.objects.filter(attempt__graded_at__isnull=False, credit__isnull=False)
    if not scope.everything:
        answers = answers.filter(attempt__user__organisation_id__in=scope.unit_ids)
    counts = (
        answers.values("question__knowledge_points")
        .annotate(answered=Count("pk"), wrong=Count("pk", filter=Q(credit__lt=1.0)))
        .filter(question__knowledge_points__isnull=False)
    )
    points = KnowledgePoint.objects.in_bulk([row["question__knowledge_points"] for row in counts])
    found = [
        MissedPoint(points[row["question__knowledge_points"]], row["answered"], row["wrong"])
        for row in counts
        if row["question__knowledge_points"] in points
    ]
    return sorted(found, key=lambda m: (-m.wrong_rate, -m.answered, m.point.name))[:at_most]


def scoped_ranking(quiz: QuizPage, scope: Scope) -> list[selectors.RankingEntry]:
    """The contest's ranking among the scope's units (everyone for 管理员)."""
    return selectors.contest_ranking(quiz, unit_ids=None if scope.everything else scope.unit_ids)
