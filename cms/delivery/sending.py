"""The delivery engine: claim due deliveries, send them, record what the platforms said.

* Claiming is a conditional UPDATE that stamps a claim token, ``attempted_at`` and status
  发送中 on rows that are still due, so two workers never send one delivery twice. A row
  left 发送中 by a worker that died is due again after DELIVERY_SENDING_STALE_SECONDS (at
  least once: it may be sent twice in that case, never lost).
* Rate limits (a platform's PER_MINUTE / PER_SECOND per robot) are counted in the database
  from the channel's claimed deliveries in the window, under a lock on the channel row, so
  several workers share one budget. What is over the budget waits (``next_attempt_at`` =
  when the window frees) and a task is scheduled for then: never dropped.
* Robots: every channel's batch is sent concurrently on one ``httpx.AsyncClient`` under
  asyncio, on one thread beside the emails (which keep going meanwhile); within a channel in
  order, stopping at the first failure so that order holds and a dead robot costs one
  timeout, not one per message, and costs the emails nothing.
* Email: Django's mail API, one connection per batch; failures recorded one by one, the
  sent ones EMAIL_MARK_EVERY at a time.
* Outcomes: sent; throttled → wait (Retry-After or a minute), not counted as an attempt;
  retryable → backoff (30 s, 2 min, 10 min, 1 h, 3 h, 6 h, 12 h), failed after
  MAX_ATTEMPTS; permanent → failed and the channel stops until an administrator edits it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import transport
from .models import Channel, Delivery

logger = logging.getLogger(__name__)

S = Delivery.Status
BACKOFF_SECONDS = (30, 120, 600, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
MAX_ATTEMPTS = 8
THROTTLE_WAIT_SECONDS = 60.0
CHANNEL_BATCH = 50  # per channel and round when the platform has no rate limit
EMAIL_BATCH = 200  # emails per SMTP connection
EMAIL_MARK_EVERY = 20  # emails marked 已发送 per UPDATE
SHORT_WAIT_SECONDS = 2.0  # a task waits this long in-process for the next due message


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def _stale_before(now):
    return now - dt.timedelta(seconds=settings.DELIVERY_SENDING_STALE_SECONDS)


def due_q(now) -> Q:
    return Q(status__in=[S.QUEUED, S.RETRYING], next_attempt_at__lte=now) | Q(
        status=S.SENDING, attempted_at__lt=_stale_before(now)
    )


def _claim(rows, now) -> str:
    """Claim the still-due rows of ``rows`` (a queryset of ids); returns the claim token."""
    token = uuid.uuid4().hex
    Delivery.objects.filter(due_q(now), pk__in=list(rows)).update(
        status=S.SENDING, claim=token, attempted_at=timezone.now()
    )
    return token


# Rate limits ------------------------------------------------------------------------------


def _window(channel_id: int, now, seconds: int, limit: int) -> tuple[int, dt.datetime]:
    """(how many more may be claimed now, when the window next frees a slot)."""
    since = now - dt.timedelta(seconds=seconds)
    recent = Delivery.objects.filter(channel_id=channel_id, attempted_at__gt=since)
    count = recent.count()
    oldest = recent.order_by("attempted_at").values_list("attempted_at", flat=True).first() or now
    return limit - count, oldest + dt.timedelta(seconds=seconds, milliseconds=10)


def _budget(channel: Channel, now, due_count: int) -> tuple[int, dt.datetime | None]:
    per_minute, per_second = transport.limits(channel.kind)
    budget, free_at = due_count, None
    for seconds, limit in ((60, per_minute), (1, per_second)):
        if not limit:
            continue
        left, frees = _window(channel.pk, now, seconds, limit)
        if left < due_count:
            free_at = max(free_at or frees, frees)
        budget = min(budget, max(left, 0))
    return budget, free_at


def claim_channel(channel_id: int, now) -> tuple[Channel, list[Delivery]] | None:
    with transaction.atomic():
        # The lock makes counting and claiming one step across workers (PostgreSQL; SQLite
        # serialises writing transactions anyway).
        channel = Channel.objects.select_for_update().filter(pk=channel_id).first()
        if channel is None:
            return None
        due = Delivery.objects.filter(due_q(now), channel=channel)
        if not channel.enabled:
            due.update(status=S.DROPPED, last_error="渠道已停用，消息不再发送。", claim="")
            return None
        if channel.stopped_reason:
            return None
        try:
            ids = list(due.order_by("created_at", "id").values_list("pk", flat=True)[: CHANNEL_BATCH * 4])
            budget, free_at = _budget(channel, now, min(len(ids), CHANNEL_BATCH))
        except KeyError:  # a platform this installation does not know
            _stop(channel, f"未知的推送平台：{channel.kind}", now)
            return None
        chosen = ids[:budget]
        if len(ids) > budget and free_at is not None:
            # Everything else due for this robot waits for the window (one UPDATE, however
            # long the queue); rows recovered from a dead worker wait too, no longer 发送中.
            waiting = due.exclude(pk__in=chosen)
            waiting.filter(status=S.SENDING).update(status=S.RETRYING, claim="")
            waiting.filter(status__in=[S.QUEUED, S.RETRYING]).update(next_attempt_at=free_at)
        if not chosen:
            return None
        token = _claim(chosen, now)
        rows = list(Delivery.objects.filter(claim=token, status=S.SENDING).order_by("created_at", "id"))
    return (channel, rows) if rows else None


# Robots -----------------------------------------------------------------------------------


async def _send_channel(channel: Channel, rows: list[Delivery], client: httpx.AsyncClient):
    results = []
    for row in rows:
        try:
            message = transport.message_from_json(row.message)
        except (TypeError, ValueError) as exc:
            outcome = transport.outcome(ok=False, answer=f"消息内容无效：{type(exc).__name__}", permanent=True)
        else:
            outcome = await transport.asend(channel.kind, channel.address, channel.secret, message, client=client)
        results.append((row, outcome))
        if not outcome.ok:
            break
    return channel, results, rows[len(results) :]


async def _send_all(batches):
    async with httpx.AsyncClient(headers=transport.headers(), timeout=transport.timeout()) as client:
        return await asyncio.gather(*(_send_channel(channel, rows, client) for channel, rows in batches))


def _record_robots(sent) -> Counter:
    totals: Counter = Counter()
    for channel, results, unsent in sent:
        totals.update(record_channel(channel, results, unsent))
    return totals


def _mark(row: Delivery, **fields) -> None:
    Delivery.objects.filter(pk=row.pk, claim=row.claim).update(**fields)


def _stop(channel: Channel, reason: str, now) -> None:
    Channel.objects.filter(pk=channel.pk).update(
        stopped_reason=reason, stopped_at=now, last_error=reason, failing_since=Coalesce(F("failing_since"), Value(now))
    )
    logger.warning("channel %s stopped after a permanent error: %s", channel.pk, reason)


def record_channel(channel: Channel, results, unsent: list[Delivery]) -> Counter:
    """Record each answer. ``attempted_at`` becomes the time the batch finished, so a rate
    window counts from when the robot last heard from us, not from the claim."""
    now = timezone.now()
    counts: Counter = Counter()
    wait_until = now
    for row, outcome in results:
        answer = outcome.answer[:1000]
        if outcome.ok:
            _mark(row, status=S.SENT, sent_at=now, attempted_at=now, attempts=row.attempts + 1, last_error="", claim="")
            Channel.objects.filter(pk=channel.pk).update(last_success_at=now, failing_since=None, last_error="")
            counts["sent"] += 1
        elif outcome.throttled:
            wait = outcome.retry_after if outcome.retry_after is not None else THROTTLE_WAIT_SECONDS
            wait_until = now + dt.timedelta(seconds=max(wait, 1.0))
            _mark(
                row,
                status=S.RETRYING,
                next_attempt_at=wait_until,
                attempted_at=now,
                last_error=f"平台限流：{answer}",
                claim="",
            )
            counts["throttled"] += 1
        elif outcome.permanent:
            _mark(row, status=S.FAILED, attempts=row.attempts + 1, attempted_at=now, last_error=answer, claim="")
            _stop(channel, answer, now)
            counts["failed"] += 1
        else:
            attempts = row.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                _mark(row, status=S.FAILED, attempts=attempts, last_error=answer, claim="")
                counts["failed"] += 1
            else:
                wait_until = now + backoff(attempts)
                _mark(
                    row, status=S.RETRYING, attempts=attempts, next_attempt_at=wait_until, last_error=answer, claim=""
                )
                counts["retrying"] += 1
            Channel.objects.filter(pk=channel.pk).update(
                last_error=answer, failing_since=Coalesce(F("failing_since"), Value(now))
            )
            logger.warning("delivery %s to channel %s failed (attempt %s): %s", row.pk, channel.pk, attempts, answer)
    for row in unsent:  # behind a failure: they keep their turn and go after it
        _mark(
            row,
            status=S.RETRYING if row.attempts else S.QUEUED,
            next_attempt_at=wait_until,
            attempted_at=None,
            claim="",
        )
    return counts


# Email ------------------------------------------------------------------------------------


def _email_body(message) -> str:
    lines = [message.text.strip()] if message.text.strip() else []
    lines += list(message.facts)
    if message.url:
        lines += ["", f"查看详情：{message.url}"]
    lines += ["", "——", "您收到这封邮件，是因为您在党员之家选择了邮件提醒；可随时在“通知设置”中关闭。"]
    return "\n".join(lines)


def claim_emails(now) -> list[Delivery]:
    ids = (
        Delivery.objects.filter(due_q(now), channel__isnull=True)
        .exclude(email="")
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:EMAIL_BATCH]
    )
    ids = list(ids)
    if not ids:
        return []
    token = _claim(ids, now)
    return list(Delivery.objects.filter(claim=token, status=S.SENDING).order_by("created_at", "id"))


def _email_failure(row: Delivery, answer: str, now) -> str:
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _mark(row, status=S.FAILED, attempts=attempts, last_error=answer, claim="")
        return "failed"
    _mark(
        row,
        status=S.RETRYING,
        attempts=attempts,
        next_attempt_at=now + backoff(attempts),
        last_error=answer,
        claim="",
    )
    return "retrying"


def _mark_sent(rows: list[Delivery]) -> None:
    """已发送 for the emails the server accepted since the last call, in one UPDATE (one
    UPDATE and commit per email was ~40 % of an email's cost: 2.3 of 5.9 ms, profiled with
    bench/notice_fanout.py's data). A worker dying in between leaves at most
    EMAIL_MARK_EVERY of them 发送中, sent again later: at least once, as before."""
    for claim in {row.claim for row in rows}:
        Delivery.objects.filter(pk__in=[row.pk for row in rows if row.claim == claim], claim=claim).update(
            status=S.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="", claim=""
        )
    rows.clear()


def send_emails(rows: list[Delivery]) -> Counter:
    counts: Counter = Counter()
    accepted: list[Delivery] = []  # sent, not yet marked
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        now = timezone.now()
        answer = f"无法连接邮件服务器：{type(exc).__name__}: {exc}"[:1000]
        logger.warning("email delivery: %s", answer)
        for row in rows:
            counts[_email_failure(row, answer, now)] += 1
        return counts
    try:
        for row in rows:
            now = timezone.now()
            try:
                message = transport.message_from_json(row.message)
                email = EmailMessage(
                    # One line: a title with line breaks must not become a header of its own.
                    subject=" ".join(message.title.split())[:200],
                    body=_email_body(message),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[row.email],
                    connection=connection,
                )
                connection.send_messages([email])
            except (TypeError, ValueError) as exc:  # a message or address that can never go
                _mark(
                    row, status=S.FAILED, attempts=row.attempts + 1, last_error=f"邮件无法生成：{exc}"[:1000], claim=""
                )
                counts["failed"] += 1
            except smtplib.SMTPRecipientsRefused as exc:
                _mark(
                    row, status=S.FAILED, attempts=row.attempts + 1, last_error=f"收件人被拒绝：{exc}"[:1000], claim=""
                )
                counts["failed"] += 1
            except (OSError, smtplib.SMTPException) as exc:
                counts[_email_failure(row, f"{type(exc).__name__}: {exc}"[:1000], now)] += 1
            else:
                accepted.append(row)
                counts["sent"] += 1
                if len(accepted) >= EMAIL_MARK_EVERY:
                    _mark_sent(accepted)
    finally:
        _mark_sent(accepted)
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            pass
    return counts


# The task's body --------------------------------------------------------------------------


def _drop_orphans(now) -> None:
    """Deliveries whose channel was deleted (no channel and no email address)."""
    Delivery.objects.filter(due_q(now), channel__isnull=True, email="").update(
        status=S.DROPPED, last_error="渠道已删除，消息不再发送。", claim=""
    )


def next_due_at():
    """When something becomes due that this installation can send (None: nothing)."""
    waiting = (
        Delivery.objects.filter(status__in=[S.QUEUED, S.RETRYING])
        .filter(Q(channel__isnull=True, email__gt="") | Q(channel__enabled=True, channel__stopped_reason=""))
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    sending = (
        Delivery.objects.filter(status=S.SENDING)
        .order_by("attempted_at")
        .values_list("attempted_at", flat=True)
        .first()
    )
    if sending is not None:
        sending += dt.timedelta(seconds=settings.DELIVERY_SENDING_STALE_SECONDS, milliseconds=10)
    candidates = [at for at in (waiting, sending) if at is not None]
    return min(candidates) if candidates else None


def deliver_due(*, schedule: Callable[[dt.datetime], object] | None = None, max_seconds: float | None = None) -> dict:
    """Send everything due; wait in-process for what becomes due within a moment (a
    per-second rate limit), and ``schedule(when)`` a later run for the rest."""
    started = time.monotonic()
    max_seconds = settings.DELIVERY_TASK_MAX_SECONDS if max_seconds is None else max_seconds
    totals: Counter = Counter()
    idle = 0
    while True:
        now = timezone.now()
        _drop_orphans(now)
        channel_ids = sorted(
            set(
                Delivery.objects.filter(due_q(now), channel__isnull=False)
                .order_by()  # no Meta.ordering columns in the DISTINCT: one entry per channel
                .values_list("channel_id", flat=True)
                .distinct()
            )
        )
        batches = [batch for batch in (claim_channel(pk, now) for pk in channel_ids) if batch]
        claimed = sum(len(rows) for _, rows in batches)
        # The robots go out on a thread of their own (asyncio, no database) while this one
        # sends the emails: a robot that never answers costs the emails nothing (they used
        # to start only after the slowest robot's timeout). Their answers are recorded here,
        # between two email batches, as soon as all have answered.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="delivery-robots") as pool:
            robots = pool.submit(asyncio.run, _send_all(batches)) if batches else None
            while rows := claim_emails(timezone.now()):
                claimed += len(rows)
                totals.update(send_emails(rows))
                if robots is not None and robots.done():
                    totals.update(_record_robots(robots.result()))
                    robots = None
                # Over time: stop, unless a robot is still being waited for (its timeout
                # bounds that): then the emails keep going meanwhile instead of idling.
                if time.monotonic() - started > max_seconds and robots is None:
                    break
            if robots is not None:
                totals.update(_record_robots(robots.result()))
        next_at = next_due_at()
        if next_at is None:
            break
        wait = (next_at - timezone.now()).total_seconds()
        # max(): a backlog that is overdue (wait < 0) must not stretch the run past
        # max_seconds (it did: 10,000 emails went out in one 95 s run, holding up every
        # other task of the worker, publishing included).
        if wait <= SHORT_WAIT_SECONDS and time.monotonic() - started + max(wait, 0.0) < max_seconds:
            # Due now but nothing claimable: another worker holds it. Look again briefly,
            # then leave it to that worker (and the scheduled run).
            idle = 0 if claimed or wait > 0 else idle + 1
            if idle <= 3:
                time.sleep(max(wait, 0.2 if idle else 0.0))
                continue
        if schedule is not None:
            schedule(max(next_at, timezone.now() + dt.timedelta(seconds=1)))
        totals["scheduled"] += 1
        break
    return dict(totals)
