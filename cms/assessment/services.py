"""Writes of assessment: starting and resuming attempts, saving answers as the member goes,
handing in (idempotent, also under races) and grading, practice sets, mastery and the notebook.

Time is the server's: an attempt's ``deadline`` is fixed when it starts; saves after it are
refused, a hand-in after it (plus network grace) is recorded as late and graded from what was
saved in time. Every write of one attempt holds the attempt's row (PostgreSQL: ``SELECT … FOR
UPDATE`` or the hand-in's conditional UPDATE; SQLite: the IMMEDIATE transaction mode of
settings.DATABASES), so a save racing a hand-in, or two hand-ins, are serialised.

Handing in and grading are two steps: ``submit`` records the hand-in (the request a whole
company sends at the same minute of a contest), ``grade_submitted`` — the worker's step on every
pass — grades what was handed in, a batch per transaction; a hand-in the worker has not reached
within ``GRADING_WAIT`` is graded by the next request that shows it (``finalise_expired``)."""

from __future__ import annotations

import datetime
import hashlib
import random
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.models import Page

from cms.accounts.models import User
from cms.core.sql import columns as sql_columns
from cms.core.sql import loaded, update_rows, upsert_rows

from . import selectors
from .answers import MAX_BLANK_LENGTH, OPTION_LETTERS, TRUE_FALSE_KEYS, QuestionType, credit
from .models import (
    Attempt,
    AttemptAnswer,
    AttemptSource,
    Mastery,
    MultipleChoiceRule,
    NotebookEntry,
    Question,
    QuizIndexPage,
    QuizPage,
)

#: A save this long after the deadline is still taken (the request was sent in time).
SAVE_GRACE = datetime.timedelta(seconds=5)
#: A hand-in is graded by the worker on its next pass (about every half second); one still
#: waiting this long — the worker busy with a long build, or not running — is graded by the
#: next request that shows it (the result page, the lists, a ranking).
GRADING_WAIT = datetime.timedelta(seconds=3)
#: Hand-ins the worker grades in one transaction.
GRADING_BATCH = 100
#: Hand-ins the worker grades in a second, at least (a batch takes a fraction of a second on
#: two cores): the result page's wait before asking again grows by a second per this many
#: hand-ins ahead of it in the queue, up to ``MAX_RESULT_RETRY_SECONDS``.
GRADING_PER_SECOND = 100
MAX_RESULT_RETRY_SECONDS = 10
#: Mastery: an answer this many days old weighs half as much as one given now.
MASTERY_HALF_LIFE_DAYS = 14
PRACTICE_SIZES = {AttemptSource.DAILY: 5, AttemptSource.WEAK: 10, AttemptSource.NOTEBOOK: 10}

NOT_OPEN_MESSAGE = "测验尚未开始。"
CLOSED_MESSAGE = "测验已结束。"
EXHAUSTED_MESSAGE = "作答次数已用完。"
NO_QUESTIONS_MESSAGE = "该测验暂无可用题目，请联系管理员。"
NO_PRACTICE_MESSAGE = "暂无可练习的题目。"
TIME_UP_MESSAGE = "答题时间已到，答案未保存。请交卷。"
ALREADY_SUBMITTED_MESSAGE = "本次作答已交卷。"
NOT_SUBMITTED_MESSAGE = "尚未交卷。"
KEY_USED_MESSAGE = "该提交标识已用于另一次作答，请刷新页面后重试。"


class Refused(ValidationError):
    """A refused step with a code of its own (not_open, closed, time_up, …): HTTP 400."""


def ensure_quiz_root() -> QuizIndexPage:
    """The private 测评中心 root, directly under Wagtail's root (outside every Site)."""
    root = QuizIndexPage.objects.first()
    if root is not None:
        return root
    root = Page.get_first_root_node().add_child(instance=QuizIndexPage(title="测评中心", slug="assessment", live=False))
    root.save_revision().publish()
    return root


# ------------------------------------------------------------------------------ drawing questions


def _draw_for_quiz(quiz: QuizPage, rng: random.Random) -> list[Question]:
    """Rules (k per knowledge point and difficulty, at random, no repeats) or the fixed list;
    the questions loaded with the columns an answer sheet shows."""
    rules = list(quiz.rules.all())  # in sort order (Orderable), prefetched by the quiz's read
    chosen: list[int] = []
    for rule in rules:
        pool = Question.objects.filter(
            live=True, knowledge_points__in=selectors.knowledge_subtree_ids([rule.knowledge_point_id])
        )
        if rule.difficulty:
            pool = pool.filter(difficulty=rule.difficulty)
        ids = sorted(set(pool.exclude(pk__in=chosen).values_list("pk", flat=True)))
        chosen.extend(rng.sample(ids, min(rule.count, len(ids))))
    if not rules:
        chosen = list(quiz.fixed_questions.order_by("sort_order").values_list("question_id", flat=True))
    found = Question.objects.filter(live=True).only(*selectors.QUESTION_SHOWN_FIELDS).in_bulk(chosen)
    return [found[pk] for pk in chosen if pk in found]


def _freeze(questions: list[Question], *, shuffle: bool, rng: random.Random) -> list[dict]:
    items = []
    for question in questions:
        order = list(question.option_letters()) if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE) else []
        if shuffle:
            rng.shuffle(order)
        items.append({"q": question.pk, "t": question.type, "o": order, "b": question.blank_count()})
    return items


# ------------------------------------------------------------------------------ starting


def finalise_expired(user: User, now: datetime.datetime | None = None) -> int:
    """Settle the person's attempts before they are shown: those left open past their
    deadline (a closed tab, a lost phone) are handed in and graded from the answers saved in
    time, as late; hand-ins the worker has not graded within ``GRADING_WAIT`` are graded now.
    Returns how many."""
    return _finalise(Attempt.objects.filter(user=user), now or timezone.now())


def finalise_expired_for_quiz(quiz: QuizPage, now: datetime.datetime | None = None) -> int:
    """The same for everyone's attempts of one quiz: before a contest is ranked (member area,
    secretaries' report, public site), so a closed tab counts for what it answered."""
    return _finalise(Attempt.objects.filter(quiz=quiz), now or timezone.now())


def _finalise(attempts, now: datetime.datetime) -> int:
    due = list(
        attempts.filter(
            Q(submitted_at__isnull=True, deadline__lt=now - selectors.SUBMIT_GRACE)
            | Q(graded_at__isnull=True, submitted_at__lt=now - GRADING_WAIT)
        ).values_list("pk", flat=True)
    )
    if not due:
        return 0
    with transaction.atomic():
        # Id order: two requests settling overlapping sets never wait on each other in a cycle.
        locked = list(Attempt.objects.select_for_update().filter(pk__in=due, graded_at__isnull=True).order_by("pk"))
        for attempt in locked:
            if attempt.submitted_at is None:
                attempt.submitted_at = now  # handed in by the deadline's passing: graded as late
        _grade(locked, now)
    return len(locked)


def _check_window(quiz: QuizPage, now: datetime.datetime) -> None:
    opens = quiz.effective_opens_at
    if opens and now < opens:
        raise Refused(NOT_OPEN_MESSAGE, code="not_open")
    end = selectors.contest_end(quiz)
    if end is not None and now >= end:
        raise Refused(CLOSED_MESSAGE, code="closed")


def _deadline(quiz: QuizPage, started: datetime.datetime) -> datetime.datetime | None:
    ends = []
    if quiz.time_limit_minutes:
        base = quiz.starts_at if quiz.is_contest and quiz.starts_at else started
        ends.append(base + datetime.timedelta(minutes=quiz.time_limit_minutes))
    if quiz.closes_at:
        ends.append(quiz.closes_at)
    return min(ends) if ends else None


def start_attempt(
    user: User, quiz: QuizPage, *, now: datetime.datetime | None = None, rng: random.Random | None = None
) -> tuple[Attempt, bool]:
    """Resume the person's open attempt, or start one: (attempt, created)."""
    if not selectors.can_take(user, quiz):
        raise PermissionDenied
    now = now or timezone.now()
    finalise_expired(user, now)
    try:
        with transaction.atomic():
            # One start per person at a time: two tabs wait here and the second resumes.
            list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
            mine = list(Attempt.objects.filter(user=user, quiz=quiz))  # a few: counted, the open one resumed
            current = next((attempt for attempt in mine if attempt.submitted_at is None), None)
            if current is not None:
                current.quiz = quiz
                return current, False
            _check_window(quiz, now)
            limit = quiz.effective_attempt_limit
            if limit is not None and len(mine) >= limit:
                raise Refused(EXHAUSTED_MESSAGE, code="attempts_exhausted")
            rng = rng or random.Random()
            questions = _draw_for_quiz(quiz, rng)
            if not questions:
                raise Refused(NO_QUESTIONS_MESSAGE, code="no_questions")
            attempt = Attempt.objects.create(
                user=user,
                quiz=quiz,
                source=AttemptSource.QUIZ,
                unit_id=user.organisation_id,
                items=_freeze(questions, shuffle=quiz.shuffle_options, rng=rng),
                partial_credit=quiz.multiple_choice_rule == MultipleChoiceRule.PARTIAL,
                allow_review=quiz.allow_review,
                pass_mark=quiz.pass_mark,
                started_at=now,
                deadline=_deadline(quiz, now),
            )
            return attempt, True
    except IntegrityError:  # a parallel start won the one-open-attempt constraint
        current = Attempt.objects.filter(user=user, quiz=quiz, submitted_at__isnull=True).first()
        if current is None:
            raise
        return current, False


def _daily_rng(user: User, day: datetime.date) -> random.Random:
    seed = hashlib.sha256(f"daily:{user.pk}:{day.isoformat()}".encode()).hexdigest()
    return random.Random(int(seed[:16], 16))


def start_practice(
    user: User,
    source: str,
    knowledge_point_ids: list[int] | None = None,
    *,
    now: datetime.datetime | None = None,
    rng: random.Random | None = None,
) -> tuple[Attempt, bool]:
    """每日一练 (the same questions all day for a member), 薄弱点练习 or 错题练习. Practice has no
    time limit, always shows the answers afterwards, and counts for mastery and the notebook."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied
    now = now or timezone.now()
    today = timezone.localdate(now)
    finalise_expired(user, now)
    if source == AttemptSource.DAILY:
        existing = Attempt.objects.filter(user=user, source=source, practice_day=today).first()
        if existing is not None:
            return existing, False
        ids = sorted(selectors.practice_questions().values_list("pk", flat=True))
        rng = _daily_rng(user, today)
        picked = rng.sample(ids, min(PRACTICE_SIZES[source], len(ids)))
    else:
        existing = Attempt.objects.filter(
            user=user, source=source, quiz__isnull=True, submitted_at__isnull=True
        ).first()
        if existing is not None:
            return existing, False
        rng = rng or random.Random()
        if source == AttemptSource.WEAK:
            points = knowledge_point_ids or selectors.weak_point_ids(user)
            pool = (
                selectors.practice_questions().filter(knowledge_points__in=selectors.knowledge_subtree_ids(points))
                if points
                else Question.objects.none()
            )
            ids = sorted(set(pool.values_list("pk", flat=True)))
            picked = rng.sample(ids, min(PRACTICE_SIZES[source], len(ids)))
        elif source == AttemptSource.NOTEBOOK:
            # Oldest mistakes first: what has waited longest for another try.
            picked = list(
                NotebookEntry.objects.filter(user=user, cleared_at__isnull=True, question__live=True)
                .order_by("last_wrong_at", "pk")
                .values_list("question_id", flat=True)[: PRACTICE_SIZES[source]]
            )
        else:
            raise ValidationError({"source": "练习来源须为 daily、weak 或 notebook。"})
    if not picked:
        raise Refused(NO_PRACTICE_MESSAGE, code="no_questions")
    found = Question.objects.in_bulk(picked)
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                user=user,
                source=source,
                practice_day=today if source == AttemptSource.DAILY else None,
                unit_id=user.organisation_id,
                items=_freeze([found[pk] for pk in picked], shuffle=True, rng=rng),
                partial_credit=False,
                allow_review=True,
                pass_mark=None,
                started_at=now,
                deadline=None,
            )
        return attempt, True
    except IntegrityError:  # a parallel request created today's daily practice
        existing = (
            Attempt.objects.filter(user=user, source=source, practice_day=today).first()
            if source == AttemptSource.DAILY
            else Attempt.objects.filter(user=user, source=source, quiz__isnull=True, submitted_at__isnull=True).first()
        )
        if existing is None:
            raise
        return existing, False


# ------------------------------------------------------------------------------ saving answers


def _item(attempt: Attempt, question_id: int) -> dict | None:
    return next((item for item in attempt.items if item["q"] == question_id), None)


def clean_answer(item: dict, value) -> list | None:
    """A member's answer in shown keys (or blanks) → what is stored (original letters, or
    the blanks' strings); None clears it. Raises ValidationError({"answer": …})."""
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError({"answer": "答案须为字符串列表。"})
    kind = item["t"]
    if kind == QuestionType.FILL_BLANK:
        if len(value) != item.get("b", 0):
            raise ValidationError({"answer": f"本题共 {item.get('b', 0)} 个空，请逐空作答。"})
        if any(len(v) > MAX_BLANK_LENGTH for v in value):
            raise ValidationError({"answer": f"每个空的答案不能超过 {MAX_BLANK_LENGTH} 字。"})
        return [v.replace("\x00", "") for v in value]
    keys = TRUE_FALSE_KEYS if kind == QuestionType.TRUE_FALSE else list(OPTION_LETTERS[: len(item["o"])])
    if any(v not in keys for v in value) or len(set(value)) != len(value):
        raise ValidationError({"answer": f"请从选项 {'、'.join(keys)} 中选择。"})
    if kind in (QuestionType.SINGLE, QuestionType.TRUE_FALSE) and len(value) != 1:
        raise ValidationError({"answer": "本题只能选择一个选项。"})
    if kind == QuestionType.TRUE_FALSE:
        return list(value)
    return sorted(item["o"][OPTION_LETTERS.index(v)] for v in value)


def save_answer(
    user: User,
    attempt_id: int,
    question_id: int,
    value,
    *,
    now: datetime.datetime | None = None,
    kept: Attempt | None = None,
) -> tuple[Attempt, AttemptAnswer | None]:
    """Save one answer as the member goes: no transaction (the hottest request of a contest,
    every few seconds from every member). The attempt's questions never change once drawn,
    so they are read without a lock, or not at all when the person's session ``kept`` the
    attempt (``session_sheets``); the upsert itself applies only while the attempt is still
    open (``_upsert_open_answer``), so an answer racing the hand-in is either in before it or
    refused, never stored after it."""
    now = now or timezone.now()
    if kept is not None and (kept.pk, kept.user_id) != (attempt_id, user.pk):
        raise ValueError("the kept attempt is not this person's attempt")
    attempt = kept or _open_for_saving(user, attempt_id)
    if attempt is None:
        raise PermissionDenied
    item = _item(attempt, question_id)
    if item is None:
        raise PermissionDenied
    _refuse_if_closed(attempt, now)
    record = AttemptAnswer(attempt=attempt, question_id=question_id, answer=clean_answer(item, value), saved_at=now)
    if not _upsert_open_answer(record, user, open_since=now - SAVE_GRACE):
        # Handed in, out of time or gone since it was read (or kept): the row says which.
        current = _open_for_saving(user, attempt_id)
        if current is None:
            raise PermissionDenied
        _refuse_if_closed(current, now)
        raise Refused(ALREADY_SUBMITTED_MESSAGE, code="already_submitted")
    return attempt, record


def _refuse_if_closed(attempt: Attempt, now: datetime.datetime) -> None:
    if attempt.submitted:
        raise Refused(ALREADY_SUBMITTED_MESSAGE, code="already_submitted")
    if attempt.deadline is not None and now > attempt.deadline + SAVE_GRACE:
        raise Refused(TIME_UP_MESSAGE, code="time_up")


_UPSERTED = ("attempt", "question", "answer", "saved_at")
_READ_FOR_SAVING = ("id", "user", "items", "deadline", "submitted_at")


def _open_for_saving(user: User, attempt_id: int) -> Attempt | None:
    """The person's attempt with only what an answer save reads (``cms.core.sql``: through
    the ORM, building this one query cost a third of the whole request's CPU)."""
    q = connection.ops.quote_name
    attempts = Attempt._meta
    sql = (
        f"SELECT {sql_columns(Attempt, _READ_FOR_SAVING)} FROM {q(attempts.db_table)} "
        f"WHERE {q(attempts.pk.column)} = %s AND {q(attempts.get_field('user').column)} = %s"
    )
    return next((attempt for attempt, _ in loaded(Attempt, _READ_FOR_SAVING, sql, [attempt_id, user.pk])), None)


def _upsert_open_answer(record: AttemptAnswer, user: User, *, open_since: datetime.datetime) -> bool:
    """Insert or replace the answer in one statement, only if its attempt is the person's, has
    not been handed in and has no deadline before ``open_since``; False otherwise. On
    PostgreSQL the attempt's row is share-locked by the statement: a hand-in committing
    meanwhile is waited for and then seen, and a hand-in arriving meanwhile waits for the
    answer to be in (SQLite runs one writer at a time)."""
    q = connection.ops.quote_name
    answers, attempts = AttemptAnswer._meta, Attempt._meta
    attempt, question, answer, saved_at = (q(answers.get_field(name).column) for name in _UPSERTED)
    deadline = q(attempts.get_field("deadline").column)
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    sql = f"""
        INSERT INTO {q(answers.db_table)} ({attempt}, {question}, {answer}, {saved_at})
        SELECT %s, %s, %s, %s WHERE EXISTS (
            SELECT 1 FROM {q(attempts.db_table)}
            WHERE {q(attempts.pk.column)} = %s AND {q(attempts.get_field("user").column)} = %s
            AND {q(attempts.get_field("submitted_at").column)} IS NULL
            AND ({deadline} IS NULL OR {deadline} >= %s){lock}
        )
        ON CONFLICT ({attempt}, {question}) DO UPDATE SET {answer} = EXCLUDED.{answer}, {saved_at} = EXCLUDED.{saved_at}
    """
    params = [
        *(
            answers.get_field(name).get_db_prep_save(getattr(record, answers.get_field(name).attname), connection)
            for name in _UPSERTED
        ),
        record.attempt_id,
        user.pk,
        attempts.get_field("deadline").get_db_prep_save(open_since, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(" ".join(sql.split()), params)  # one line in logs and pg_stat_statements
        return cursor.rowcount == 1


# ------------------------------------------------------------------------------ submitting and grading


def parse_key(value) -> uuid.UUID:
    try:
        if value is None or len(str(value)) > 40:
            raise ValueError
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise ValidationError({"key": "提交标识须为 UUID。"}) from None


@dataclass(frozen=True)
class HandIn:
    """What ``submit`` knows: the moment the attempt was handed in and, when it had been handed
    in before (a retry, a second tab), the attempt as stored — graded or still waiting."""

    attempt_id: int
    submitted_at: datetime.datetime
    earlier: Attempt | None = None
    retry_after_seconds: int = 1  # when the result page should ask for the score (202)


def _hand_in(attempt_id: int, submitted_at: datetime.datetime, earlier: Attempt | None = None) -> HandIn:
    """A hand-in with the wait before its result is asked for: a second, plus one per
    ``GRADING_PER_SECOND`` hand-ins waiting before it. When a whole contest hands in within a
    second, 500 result pages asking every second would take the cores the worker grades with."""
    if earlier is not None and earlier.graded:
        return HandIn(attempt_id, submitted_at, earlier)
    ahead = Attempt.objects.filter(
        submitted_at__isnull=False, graded_at__isnull=True, submitted_at__lt=submitted_at
    ).count()
    return HandIn(attempt_id, submitted_at, earlier, _retry_after(ahead))


def _retry_after(ahead: int) -> int:
    return min(MAX_RESULT_RETRY_SECONDS, 1 + ahead // GRADING_PER_SECOND)


def submit(user: User, attempt_id: int, key, *, now: datetime.datetime | None = None) -> HandIn:
    """Hand the attempt in (交卷): from this moment no answer is taken and the time counts. The
    score follows within a second or so (``grade_submitted``, the worker's), so a whole
    company handing in at once waits for one conditional UPDATE each, not for grading.
    Handing in a handed-in attempt again (a retry, a second tab, whatever its key) changes
    nothing and returns it as it is; a key already used for another attempt is refused."""
    key = parse_key(key)
    now = now or timezone.now()
    ahead = _hand_in_open(user, attempt_id, key, now)
    if ahead is not None:
        return HandIn(attempt_id, now, None, _retry_after(ahead))
    earlier = Attempt.objects.filter(pk=attempt_id, user=user).first()
    if earlier is None:
        raise PermissionDenied
    if not earlier.submitted:  # still open, so the key was what refused it
        raise ValidationError({"key": KEY_USED_MESSAGE})
    return _hand_in(attempt_id, earlier.submitted_at, earlier)


def _hand_in_open(user: User, attempt_id: int, key: uuid.UUID, now: datetime.datetime) -> int | None:
    """Hand the person's open attempt in under an unused ``key``, and count the hand-ins
    waiting for their score ahead of it, in one statement (a whole contest hands in within a
    second: one round trip each, not a transaction's four). None when nothing was handed in:
    not the person's, handed in already, or the key used before."""
    q = connection.ops.quote_name
    meta = Attempt._meta
    column = {name: q(meta.get_field(name).column) for name in ("user", "submitted_at", "graded_at", "key")}
    table, pk = q(meta.db_table), q(meta.pk.column)
    sql = (
        f"UPDATE {table} SET {column['submitted_at']} = %s, {column['key']} = %s "
        f"WHERE {pk} = %s AND {column['user']} = %s AND {column['submitted_at']} IS NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {table} used WHERE used.{column['key']} = %s) "
        f"RETURNING (SELECT COUNT(*) FROM {table} waiting WHERE waiting.{column['submitted_at']} < %s "
        f"AND waiting.{column['graded_at']} IS NULL)"
    )
    field = meta.get_field
    moment = field("submitted_at").get_db_prep_value(now, connection)
    used = field("key").get_db_prep_value(key, connection)
    try:  # a lone statement: atomic by itself, no transaction around it (called outside one)
        with connection.cursor() as cursor:
            cursor.execute(sql, [moment, used, attempt_id, user.pk, used, moment])
            row = cursor.fetchone()
    except IntegrityError:  # the same unused key handed in for two attempts at once
        raise ValidationError({"key": KEY_USED_MESSAGE}) from None
    return None if row is None else row[0]


def waiting_hand_in(user: User, attempt_id: int, *, now: datetime.datetime | None = None) -> HandIn | None:
    """The person's hand-in whose score the worker is still to give, while it has been waiting
    less than ``GRADING_WAIT`` (later, the request grades it: ``finalise_expired``). The result
    page asks every second until the score is there, and a whole contest hands in at once: its
    answer is one narrow read."""
    now = now or timezone.now()
    submitted_at = (
        Attempt.objects.filter(pk=attempt_id, user=user, graded_at__isnull=True, submitted_at__gte=now - GRADING_WAIT)
        .values_list("submitted_at", flat=True)
        .first()
    )
    return None if submitted_at is None else _hand_in(attempt_id, submitted_at)


def grade_submitted(*, batch: int = GRADING_BATCH, now: datetime.datetime | None = None) -> int:
    """Grade the hand-ins waiting for their score, oldest first, ``batch`` per transaction
    (the worker's step on every pass, ``manage.py worker``). Several workers share the queue:
    rows another worker holds are skipped. Returns how many were graded."""
    graded = 0
    while True:
        with transaction.atomic():
            waiting = list(
                Attempt.objects.select_for_update(skip_locked=True)
                .filter(submitted_at__isnull=False, graded_at__isnull=True)
                .order_by("submitted_at", "pk")[:batch]
            )
            _grade(waiting, now or timezone.now())
        graded += len(waiting)
        if len(waiting) < batch:
            return graded


@dataclass(frozen=True, slots=True)
class _Graded:
    """One question of a graded attempt: what was answered and the credit it earned."""

    question_id: int
    answer: list | None
    credit: float
    point_ids: tuple[int, ...]


def _grade(attempts: list[Attempt], now: datetime.datetime) -> None:
    """Inside the caller's transaction holding the attempt rows (handed in, not graded):
    credits and scores from the answers saved before the hand-in, then the people's mastery
    and notebook — a fixed number of queries for the whole batch. A contest's hand-ins arrive
    all at once and the worker grades them beside the requests: rows are read as plain values
    and written with short statements sent together (``cms.core.sql``), not as model
    instances through ``bulk_update``/``bulk_create``, which cost several times the CPU."""
    if not attempts:
        return
    # One grading per person at a time: their mastery and notebook rows are shared by all
    # their attempts (always attempt rows first, then people in id order: no lock-order cycles).
    people = sorted({attempt.user_id for attempt in attempts})
    list(User.objects.select_for_update().filter(pk__in=people).order_by("pk").values_list("pk", flat=True))
    wanted = {question_id for attempt in attempts for question_id in attempt.question_ids()}
    keys = {
        pk: (kind, answer)
        for pk, kind, answer in Question.objects.filter(pk__in=wanted).values_list("pk", "type", "answer")
    }
    points: dict[int, list[int]] = {}
    for question_id, point_id in Question.knowledge_points.through.objects.filter(question_id__in=keys).values_list(
        "question_id", "knowledgepoint_id"
    ):
        points.setdefault(question_id, []).append(point_id)
    saved = {
        (attempt_id, question_id): answer
        for attempt_id, question_id, answer in AttemptAnswer.objects.filter(attempt__in=attempts).values_list(
            "attempt_id", "question_id", "answer"
        )
    }
    # Every graded question as (attempt, question, answer, saved_at, credit): written as a new
    # row when it was not answered (no answer, saved at the hand-in), else only its credit.
    credited = []
    batch: list[tuple[Attempt, list[_Graded]]] = []
    for attempt in attempts:
        graded = []
        for item in attempt.items:
            key = keys.get(item["q"])
            if key is None:
                continue  # deleted from the bank since the start: not counted
            answer = saved.get((attempt.pk, item["q"]))
            earned = credit(key[0], key[1], answer, partial=attempt.partial_credit)
            graded.append(_Graded(item["q"], answer, earned, tuple(points.get(item["q"], ()))))
            credited.append((attempt.pk, item["q"], None, attempt.submitted_at, earned))
        total = sum(g.credit for g in graded)
        attempt.score = round(100 * total / len(graded), 1) if graded else 0
        attempt.correct_count = sum(1 for g in graded if g.credit >= 1.0)
        attempt.late = attempt.deadline is not None and attempt.submitted_at > attempt.deadline + selectors.SUBMIT_GRACE
        ended = min(attempt.submitted_at, attempt.deadline) if attempt.deadline else attempt.submitted_at
        attempt.seconds_used = max(0, int((ended - attempt.started_at).total_seconds()))
        attempt.graded_at = now
        batch.append((attempt, graded))
    upsert_rows(
        AttemptAnswer,
        ["attempt", "question", "answer", "saved_at", "credit"],
        credited,
        unique=["attempt", "question"],
        update=["credit"],
    )
    graded_fields = ["submitted_at", "score", "correct_count", "late", "seconds_used", "graded_at"]
    update_rows(Attempt, graded_fields, [[*(getattr(a, name) for name in graded_fields), a.pk] for a in attempts])
    # In the order they were handed in: a person's later answers weigh on top of earlier ones.
    batch.sort(key=lambda pair: (pair[0].submitted_at, pair[0].pk))
    _update_mastery(batch)
    _update_notebook(batch)


_MASTERY_SUMS = ["weighted_credit", "weighted_count", "answered", "as_of"]


def _update_mastery(batch) -> None:
    wanted = {(attempt.user_id, point) for attempt, graded in batch for g in graded for point in g.point_ids}
    if not wanted:
        return
    rows = {
        (user_id, point_id): sums
        for user_id, point_id, *sums in Mastery.objects.filter(
            user_id__in={user_id for user_id, _ in wanted}, knowledge_point_id__in={point for _, point in wanted}
        ).values_list("user_id", "knowledge_point_id", *_MASTERY_SUMS)
    }
    touched = set()
    for attempt, graded in batch:
        when = attempt.submitted_at
        credits: dict[int, list[float]] = {}
        for g in graded:
            for point_id in g.point_ids:
                credits.setdefault(point_id, []).append(g.credit)
        for point_id, values in credits.items():
            sums = rows.setdefault((attempt.user_id, point_id), [0.0, 0.0, 0, when])
            weighted_credit, weighted_count, answered, as_of = sums
            decay = 0.5 ** (max(0.0, (when - as_of).total_seconds()) / (MASTERY_HALF_LIFE_DAYS * 86400))
            sums[:] = [
                weighted_credit * decay + sum(values),
                weighted_count * decay + len(values),
                answered + len(values),
                max(as_of, when),
            ]
            touched.add((attempt.user_id, point_id))
    upsert_rows(
        Mastery,
        ["user", "knowledge_point", *_MASTERY_SUMS],
        [[*pair, *rows[pair]] for pair in touched],
        unique=["user", "knowledge_point"],
        update=_MASTERY_SUMS,
    )


_NOTEBOOK_FIELDS = [
    "wrong_count",
    "first_wrong_at",
    "last_wrong_at",
    "last_answer",
    "correct_streak",
    "streak_day",
    "cleared_at",
]


def _update_notebook(batch) -> None:
    """Wrong → in (only when the attempt shows the answers, so a quiz without review never
    reveals them through practice); right twice in a row on different days → out."""
    entries = {
        (user_id, question_id): dict(zip(_NOTEBOOK_FIELDS, values))
        for user_id, question_id, *values in NotebookEntry.objects.filter(
            user_id__in={attempt.user_id for attempt, _ in batch},
            question_id__in={g.question_id for _, graded in batch for g in graded},
        ).values_list("user_id", "question_id", *_NOTEBOOK_FIELDS)
    }
    touched = set()
    for attempt, graded in batch:
        when = attempt.submitted_at
        today = timezone.localdate(when)
        for g in graded:
            pair = (attempt.user_id, g.question_id)
            entry = entries.get(pair)
            if g.credit < 1.0:
                if not attempt.allow_review and (entry is None or entry["cleared_at"] is not None):
                    continue
                if entry is None:
                    entry = entries[pair] = {"wrong_count": 0, "first_wrong_at": when}
                entry.update(
                    wrong_count=entry["wrong_count"] + 1,
                    last_wrong_at=when,
                    last_answer=g.answer,
                    correct_streak=0,
                    streak_day=None,
                    cleared_at=None,
                )
            elif entry is not None and entry["cleared_at"] is None:
                if entry["correct_streak"] == 0:
                    entry.update(correct_streak=1, streak_day=today)
                elif entry["streak_day"] is not None and today > entry["streak_day"]:
                    entry.update(correct_streak=2, cleared_at=when)
            else:
                continue
            touched.add(pair)
    upsert_rows(
        NotebookEntry,
        ["user", "question", *_NOTEBOOK_FIELDS],
        [[*pair, *(entries[pair][name] for name in _NOTEBOOK_FIELDS)] for pair in touched],
        unique=["user", "question"],
        update=[name for name in _NOTEBOOK_FIELDS if name != "first_wrong_at"],
    )
