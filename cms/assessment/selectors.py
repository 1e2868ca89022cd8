"""Reads of assessment data: which quizzes a person may take, their attempts as the member
area shows them, mastery, the notebook and contest rankings. Nothing here ever hands out a
correct answer or an explanation for an attempt that is not submitted or does not allow
review: ``attempt_questions`` is the only way questions reach the API before a result, and
it carries stems and options only."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from cms.accounts.audience import is_in_audience, organisation_path_ids
from cms.accounts.models import MemberStatus, OrganisationUnit, User

from .answers import OPTION_LETTERS, TRUE_FALSE_KEYS, QuestionType, correct_letters
from .models import (
    Attempt,
    AttemptAnswer,
    KnowledgePoint,
    Mastery,
    NotebookEntry,
    Question,
    QuizPage,
    QuizQuestion,
)

#: Mastery bands (percent): below WEAK is 薄弱, below GOOD 一般, else 已掌握.
WEAK_BELOW = 60
GOOD_FROM = 85
TRUE_FALSE_LABELS = {"A": "正确", "B": "错误"}


def live_quizzes():
    return QuizPage.objects.live().prefetch_related("audience_units", "rules").select_related("course")


def can_take(user: User, quiz: QuizPage) -> bool:
    """The one access rule for a quiz: live and the person in its audience (管理员 without a
    Party record are in none: an attempt would count)."""
    return bool(user.is_authenticated and user.is_active and quiz.live and is_in_audience(user, quiz))


def quizzes_for(user: User) -> list[QuizPage]:
    if not (user.is_authenticated and user.is_active):
        return []
    path_ids = organisation_path_ids(user)
    return [quiz for quiz in live_quizzes().order_by("path") if is_in_audience(user, quiz, path_ids=path_ids)]


def visible_quiz(user: User, quiz_id: int) -> QuizPage | None:
    quiz = live_quizzes().filter(pk=quiz_id).first()
    return quiz if quiz is not None and can_take(user, quiz) else None


#: What starting an attempt reads of its quiz (``services.start_attempt`` and the answer
#: sheet's quiz reference); a field read beyond these costs a query (tests count them).
QUIZ_START_FIELDS = (
    "title", "live", "kind", "opens_at", "closes_at", "starts_at", "time_limit_minutes", "attempt_limit",
    "pass_mark", "shuffle_options", "multiple_choice_rule", "allow_review", "audience_statuses",
)  # fmt: skip


def quiz_to_start(user: User, quiz_id: int) -> QuizPage | None:
    """``visible_quiz`` narrowed to what a start needs: a contest's members all start within
    seconds of each other, and the whole page row with its course cost more than the start."""
    quiz = (
        QuizPage.objects.live()
        .filter(pk=quiz_id)
        .only(*QUIZ_START_FIELDS)
        .prefetch_related(Prefetch("audience_units", OrganisationUnit.objects.only("pk")), "rules")
        .first()
    )
    return quiz if quiz is not None and can_take(user, quiz) else None


def my_attempt(user: User, attempt_id: int) -> Attempt | None:
    """The person's own attempt (someone else's is None, like a missing one). An attempt of a
    quiz that is no longer live or no longer aimed at the person stays readable: it is theirs."""
    if not user.is_authenticated:
        return None
    return Attempt.objects.select_related("quiz").filter(pk=attempt_id, user=user).first()


#: A submit this long after the deadline still counts as in time (network, a slow phone); so a
#: contest's ranking is final only this long after the contest ends.
SUBMIT_GRACE = datetime.timedelta(seconds=30)


def contest_end(quiz: QuizPage) -> datetime.datetime | None:
    """When nobody can answer any more: the close date, or a contest's start + time limit."""
    ends = [quiz.closes_at]
    if quiz.is_contest and quiz.starts_at and quiz.time_limit_minutes:
        ends.append(quiz.starts_at + datetime.timedelta(minutes=quiz.time_limit_minutes))
    ends = [end for end in ends if end is not None]
    return min(ends) if ends else None


def nominal_question_count(quiz: QuizPage, fixed_counts: dict[int, int] | None = None) -> int:
    rules = list(quiz.rules.all())
    if rules:
        return sum(rule.count for rule in rules)
    if fixed_counts is not None:
        return fixed_counts.get(quiz.pk, 0)
    return QuizQuestion.objects.filter(quiz=quiz, question__live=True).count()


def fixed_question_counts(quizzes) -> dict[int, int]:
    counts: dict[int, int] = {}
    for quiz_id in QuizQuestion.objects.filter(quiz__in=list(quizzes), question__live=True).values_list(
        "quiz_id", flat=True
    ):
        counts[quiz_id] = counts.get(quiz_id, 0) + 1
    return counts


@dataclass
class QuizOverview:
    """A quiz as one person sees it in the list (state, attempts, best score)."""

    quiz: QuizPage
    attempts: list[Attempt]  # mine, newest first
    question_count: int
    now: datetime.datetime

    @property
    def submitted(self) -> list[Attempt]:
        return [a for a in self.attempts if a.submitted]

    @property
    def current_attempt(self) -> Attempt | None:
        return next((a for a in self.attempts if not a.submitted), None)

    @property
    def attempts_used(self) -> int:
        return len(self.attempts)

    @property
    def attempts_left(self) -> int | None:
        limit = self.quiz.effective_attempt_limit
        return None if limit is None else max(0, limit - self.attempts_used)

    @property
    def best_score(self):
        scores = [a.score for a in self.submitted if a.score is not None]
        return max(scores) if scores else None

    @property
    def passed(self) -> bool | None:
        if not self.submitted:
            return None
        return any(a.passed for a in self.submitted)

    @property
    def ended(self) -> bool:
        end = contest_end(self.quiz)
        return end is not None and self.now >= end

    @property
    def cannot_start_reason(self) -> str:
        if self.current_attempt is not None:
            return ""
        opens = self.quiz.effective_opens_at
        if opens and self.now < opens:
            return "尚未开始"
        if self.ended:
            return "已结束"
        if self.attempts_left == 0:
            return "作答次数已用完"
        return ""

    @property
    def can_start(self) -> bool:
        return self.cannot_start_reason == ""

    @property
    def state(self) -> str:
        if self.current_attempt is not None:
            return "in_progress"
        if self.submitted:
            return "completed"
        return "ended" if self.ended else "not_started"

    @property
    def state_label(self) -> str:
        return {"in_progress": "进行中", "completed": "已完成", "ended": "已结束", "not_started": "未开始"}[self.state]

    @property
    def ranking_available(self) -> bool:
        return ranking_published(self.quiz, self.now)


def quiz_overviews(user: User, quizzes, *, now: datetime.datetime | None = None) -> list[QuizOverview]:
    """Several quizzes with my attempts in a fixed number of queries."""
    now = now or timezone.now()
    quizzes = list(quizzes)
    mine: dict[int, list[Attempt]] = {quiz.pk: [] for quiz in quizzes}
    for attempt in Attempt.objects.filter(user=user, quiz__in=quizzes).order_by("-started_at", "-pk"):
        mine[attempt.quiz_id].append(attempt)
    fixed = fixed_question_counts(quizzes)
    overviews = [QuizOverview(quiz, mine[quiz.pk], nominal_question_count(quiz, fixed), now) for quiz in quizzes]
    # Open first (can start or in progress), then by close date (undated last), then the tree.
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    return sorted(overviews, key=lambda o: (not (o.can_start or o.state == "in_progress"), o.quiz.closes_at or far))


def required_waiting_count(user: User) -> int:
    """The 我的测试 tab's badge: required quizzes I can answer now (open, or my attempt in
    progress) and have not passed yet."""
    required = [quiz for quiz in quizzes_for(user) if quiz.required]
    if not required:
        return 0
    return sum(1 for o in quiz_overviews(user, required) if o.state == "in_progress" or (o.can_start and not o.passed))


# ------------------------------------------------------------------------------ attempts


def remaining_seconds(attempt: Attempt, now: datetime.datetime | None = None) -> int | None:
    if attempt.deadline is None or attempt.submitted:
        return None
    now = now or timezone.now()
    return max(0, int((attempt.deadline - now).total_seconds()))


def shown_options(question: Question, item: dict) -> list[dict]:
    """The options in this attempt's order, keyed A, B, … as shown."""
    if question.type == QuestionType.TRUE_FALSE:
        return [{"key": key, "text": TRUE_FALSE_LABELS[key]} for key in TRUE_FALSE_KEYS]
    if question.type == QuestionType.FILL_BLANK:
        return []
    options = question.options()
    return [{"key": OPTION_LETTERS[i], "text": options.get(letter, "")} for i, letter in enumerate(item.get("o", []))]


def to_shown(item: dict, kind: str, answer: list | None) -> list | None:
    """Original letters → the keys this attempt showed (fill-in answers are unchanged)."""
    if answer is None or kind in (QuestionType.FILL_BLANK, QuestionType.TRUE_FALSE):
        return answer
    order = item.get("o", [])
    return sorted(OPTION_LETTERS[order.index(letter)] for letter in answer if letter in order)


@dataclass
class AttemptQuestion:
    position: int
    question: Question
    item: dict

    @property
    def options(self) -> list[dict]:
        return shown_options(self.question, self.item)

    @property
    def blanks(self) -> int:
        return self.question.blank_count()


#: The columns of a question that may be shown before its attempt is graded.
QUESTION_SHOWN_FIELDS = ("type", "stem", *(f"option_{letter.lower()}" for letter in OPTION_LETTERS), "answer", "live")


def attempt_questions(attempt: Attempt) -> list[AttemptQuestion]:
    """The attempt's questions in its frozen order (stems and options only; the answer column
    is read for the number of blanks). A question deleted since the start is left out."""
    questions = Question.objects.only(*QUESTION_SHOWN_FIELDS).in_bulk(attempt.question_ids())
    return [
        AttemptQuestion(position, questions[item["q"]], item)
        for position, item in enumerate((i for i in attempt.items if i["q"] in questions), start=1)
    ]


def saved_answers(attempt: Attempt) -> dict[int, AttemptAnswer]:
    return {a.question_id: a for a in AttemptAnswer.objects.filter(attempt=attempt)}


def answered_count(attempt: Attempt) -> int:
    return AttemptAnswer.objects.filter(attempt=attempt, answer__isnull=False).count()


@dataclass
class AnswerSheet:
    """An attempt as the member answers it: its questions in the frozen order (stems and
    options only) and the answers saved so far, by question id."""

    questions: list[AttemptQuestion]
    answers: dict[int, AttemptAnswer]

    @property
    def answered_count(self) -> int:
        return sum(record.answer is not None for record in self.answers.values())


def answer_sheet(attempt: Attempt, *, new: bool = False) -> AnswerSheet:
    """``new``: the attempt was started by this request, so there is nothing saved to read
    (a whole contest starts at once: every query here is paid 500 times in seconds)."""
    return AnswerSheet(attempt_questions(attempt), {} if new else saved_answers(attempt))


@dataclass
class ResultQuestion(AttemptQuestion):
    record: AttemptAnswer | None = None

    @property
    def my_answer(self):
        return to_shown(self.item, self.question.type, self.record.answer if self.record else None)

    @property
    def correct_answer(self):
        if self.question.type == QuestionType.FILL_BLANK:
            return [alternatives.split("|")[0] for alternatives in self.question.answer.split(";")]
        return to_shown(self.item, self.question.type, correct_letters(self.question.type, self.question.answer))

    @property
    def accepted_answers(self) -> list[list[str]]:
        if self.question.type != QuestionType.FILL_BLANK:
            return []
        return [alternatives.split("|") for alternatives in self.question.answer.split(";")]

    @property
    def credit(self) -> float:
        return (self.record.credit or 0.0) if self.record else 0.0

    @property
    def correct(self) -> bool:
        return self.credit >= 1.0

    @property
    def explanation(self) -> str:
        return self.question.explanation

    @property
    def knowledge_points(self):
        return list(self.question.knowledge_points.all())


@dataclass
class AttemptResult:
    attempt: Attempt
    questions: list[ResultQuestion]

    @property
    def review_allowed(self) -> bool:
        return self.attempt.allow_review

    @property
    def question_count(self) -> int:
        return len(self.attempt.items)


LATE_MESSAGE = "已超过答题时限，系统按时限内保存的答案评分，本次作答记为超时提交。"


def attempt_result(attempt: Attempt) -> AttemptResult:
    """Only for a graded attempt; the questions with answers only when review is allowed."""
    assert attempt.graded, "a result exists only after grading"
    if not attempt.allow_review:
        return AttemptResult(attempt, [])
    questions = Question.objects.prefetch_related("knowledge_points").in_bulk(attempt.question_ids())
    records = saved_answers(attempt)
    items = [item for item in attempt.items if item["q"] in questions]
    return AttemptResult(
        attempt,
        [
            ResultQuestion(position, questions[item["q"]], item, records.get(item["q"]))
            for position, item in enumerate(items, start=1)
        ],
    )


def my_attempts(user: User):
    return Attempt.objects.filter(user=user).select_related("quiz").order_by("-started_at", "-pk")


def answered_counts(attempts) -> dict[int, int]:
    counts: dict[int, int] = {}
    for attempt_id in AttemptAnswer.objects.filter(attempt__in=list(attempts), answer__isnull=False).values_list(
        "attempt_id", flat=True
    ):
        counts[attempt_id] = counts.get(attempt_id, 0) + 1
    return counts


# ------------------------------------------------------------------------------ mastery, notebook


def mastery_level(percent: float) -> tuple[str, str]:
    if percent < WEAK_BELOW:
        return "weak", "薄弱"
    if percent < GOOD_FROM:
        return "fair", "一般"
    return "good", "已掌握"


def my_mastery(user: User) -> list[Mastery]:
    """Weakest first (ties: more answers first, then the tree's order)."""
    rows = list(
        Mastery.objects.filter(user=user, answered__gt=0).select_related("knowledge_point", "knowledge_point__parent")
    )
    return sorted(rows, key=lambda m: (m.percent, -m.answered, m.knowledge_point.path_name))


def weak_point_ids(user: User, rows: list[Mastery] | None = None, *, at_most: int = 5) -> list[int]:
    """The points 薄弱点练习 draws from: every 薄弱 point, weakest first (at most ``at_most``)."""
    rows = my_mastery(user) if rows is None else rows
    return [m.knowledge_point_id for m in rows if m.percent < WEAK_BELOW][:at_most]


def knowledge_subtree_ids(point_ids) -> set[int]:
    """The points and every point below them (the whole tree is small: one query)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in KnowledgePoint.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, frontier = set(point_ids), list(point_ids)
    while frontier:
        frontier = [c for pk in frontier for c in children.get(pk, ()) if c not in found]
        found.update(frontier)
    return found


def my_notebook(user: User) -> list[NotebookEntry]:
    return list(
        NotebookEntry.objects.filter(user=user, cleared_at__isnull=True, question__live=True)
        .select_related("question")
        .prefetch_related("question__knowledge_points")
        .order_by("-last_wrong_at", "-pk")
    )


def practice_questions():
    """Live questions editors allow for practice."""
    return Question.objects.filter(live=True, practice_allowed=True)


# ------------------------------------------------------------------------------ rankings


def ranking_published(quiz: QuizPage, now: datetime.datetime | None = None) -> bool:
    if not (quiz.is_contest and quiz.ranking_members):
        return False
    end = contest_end(quiz)
    return end is not None and (now or timezone.now()) >= end


@dataclass(frozen=True)
class RankingEntry:
    rank: int
    attempt: Attempt
    name: str
    unit: str

    @property
    def score(self):
        return self.attempt.score

    @property
    def seconds(self) -> int:
        return self.attempt.seconds_used or 0


def contest_ranking(quiz: QuizPage, *, unit_ids=None, mask_names: bool = False) -> list[RankingEntry]:
    """Submitted attempts by score (high first), then time used (short first); equal score
    and time share a rank. ``unit_ids`` narrows to people who sat it in those units.

    Late submissions rank like the others: an attempt is graded only from the answers saved
    before its deadline (a save after it is refused) and its time is counted up to the
    deadline at most, so lateness gains nothing, and a member whose tab closed or whose
    connection dropped at the end keeps the score of what they answered. Callers grade the
    contest's attempts left open past their deadline first
    (``services.finalise_expired_for_quiz``), or those people would be missing."""
    attempts = (
        Attempt.objects.filter(quiz=quiz, graded_at__isnull=False)
        .select_related("user", "unit")
        .order_by("-score", "seconds_used", "submitted_at", "pk")
    )
    if unit_ids is not None:
        attempts = attempts.filter(unit_id__in=unit_ids)
    entries, previous, rank = [], None, 0
    for index, attempt in enumerate(attempts, start=1):
        if (attempt.score, attempt.seconds_used) != previous:
            rank, previous = index, (attempt.score, attempt.seconds_used)
        name = attempt.user.display_name
        if mask_names:
            name = (name[:1] + "*") if name else "*"
        entries.append(RankingEntry(rank, attempt, name, attempt.unit.name if attempt.unit else ""))
    return entries


NOT_A_CONTEST_MESSAGE = "请选择一项知识竞赛。"
RANKING_NOT_PUBLIC_MESSAGE = "该竞赛未设置在公开网站公布排名。"
CONTEST_NOT_LIVE_MESSAGE = "该竞赛未发布或已撤下，不能公布排名。"
CONTEST_NOT_ENDED_MESSAGE = "竞赛尚未结束，结束后才能公布排名。"


def public_ranking_refusal(quiz: QuizPage | None, now: datetime.datetime | None = None) -> str:
    """Why the contest's ranking may not be on the public site now ("" when it may): the
    editor ticked 在公开网站公布排名 on a live contest, and it has ended (plus the submit
    grace, so nobody still submitting in time is left out of a ranking exported once)."""
    if quiz is None or not quiz.is_contest:
        return NOT_A_CONTEST_MESSAGE
    if not quiz.ranking_public:
        return RANKING_NOT_PUBLIC_MESSAGE
    if not quiz.live:
        return CONTEST_NOT_LIVE_MESSAGE
    end = contest_end(quiz)
    if end is None or (now or timezone.now()) < end + SUBMIT_GRACE:
        return CONTEST_NOT_ENDED_MESSAGE
    return ""


def public_ranking(quiz: QuizPage | None, now: datetime.datetime | None = None) -> list[RankingEntry] | None:
    """What the public site may show (``public_ranking_refusal``), names masked if the
    editor said so; None when it may show nothing."""
    if public_ranking_refusal(quiz, now):
        return None
    return contest_ranking(quiz, mask_names=quiz.ranking_hide_names)


def public_ranking_state(quiz: QuizPage | None) -> tuple:
    """What a 竞赛成绩公布 page's export depends on besides the attempts: a change of any of
    these re-exports the contest's live result pages."""
    if quiz is None:
        return ()
    return (quiz.live, quiz.kind, quiz.ranking_public, quiz.ranking_hide_names, contest_end(quiz))


def is_member(user: User) -> bool:
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    return membership is not None and membership.status != MemberStatus.TRANSFERRED_OUT


# ------------------------------------------------------------------------------ course completion


def _passed_pairs(quizzes, user_ids) -> set[tuple[int, int]]:
    """(user, quiz) pairs with a submitted attempt at or above the pass mark it was taken with."""
    from django.db.models import F

    return set(
        Attempt.objects.filter(
            quiz__in=quizzes, user_id__in=list(user_ids), graded_at__isnull=False, score__gte=F("pass_mark")
        ).values_list("user_id", "quiz_id")
    )


def courses_waiting_for_a_quiz(people, course_ids) -> set[tuple[int, int]]:
    """(user id, course id) pairs whose course cannot count as completed yet: a live quiz is
    linked to the course, the person is in the quiz's audience and has not passed it.
    ``people`` are Membership rows (user and organisation loaded). A few queries whatever the
    numbers of people, courses and quizzes (registered as a completion gate of ``study.selectors``)."""
    from cms.accounts.audience import UnitTree, audience_test

    course_ids = set(course_ids)
    quizzes = list(QuizPage.objects.live().filter(course_id__in=course_ids).prefetch_related("audience_units"))
    if not quizzes or not people:
        return set()
    passed = _passed_pairs(quizzes, {m.user_id for m in people})
    tree = UnitTree()
    waiting = set()
    for quiz in quizzes:
        in_audience = audience_test(quiz, tree)[0]
        for membership in people:
            if in_audience(membership) and (membership.user_id, quiz.pk) not in passed:
                waiting.add((membership.user_id, quiz.course_id))
    return waiting
