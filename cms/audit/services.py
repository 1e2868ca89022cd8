"""Writes of the audit log: ``record`` (append one entry) and ``prune`` (drop entries past the
retention period behind a checkpoint). Nothing else writes ``AuditEntry`` or ``ChainHead``.

**Serialising appends.** Every append runs in a transaction that first locks the single
``ChainHead`` row (``select_for_update``: PostgreSQL makes every other app server and worker
wait there) and then takes the next ``seq`` and the previous hash from it. On SQLite every
transaction is ``BEGIN IMMEDIATE`` (``cms/settings/base.py``), which takes the database's
write lock at once, so appends are serialised there too.

**Never breaking the action.** ``record`` runs in a savepoint and, by default, logs and
swallows any failure: a log-in, a publish or a record edit goes through even if the audit
table cannot be written (the failure is in the application log at ERROR). The exception is
``strict=True``, used by personal-data exports: there a failed append raises
``AuditUnavailable`` and the caller refuses the export — no data leaves without a trace.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from . import context
from .models import GENESIS_HASH, Action, AuditEntry, ChainHead

logger = logging.getLogger("cms.audit")

MIN_RETENTION_DAYS = 180
USER_AGENT_LENGTH = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Keys never kept in details, whatever a caller passes (defence in depth: no caller should).
_SECRET_KEYS = re.compile(r"passw|secret|token|cookie|session|csrf|otp", re.IGNORECASE)
_UNSET = object()


class AuditUnavailable(RuntimeError):
    """A strict append failed: the caller must not go on (a personal-data export)."""


def retention_days() -> int:
    """``AUDIT_RETENTION_DAYS``, never less than 180 (等保 2.0 asks for six months)."""
    return max(int(getattr(settings, "AUDIT_RETENTION_DAYS", MIN_RETENTION_DAYS)), MIN_RETENTION_DAYS)


def client_address(request) -> str:
    """The client's address as the log-in lock-out counts it (``lockout.client_ip``:
    ``REMOTE_ADDR``, or the address the outermost trusted proxy saw when
    ``TRUSTED_PROXIES`` > 0), normalised; empty when it is not an IP address."""
    from cms.accounts.lockout import client_ip

    try:
        return str(ipaddress.ip_address((client_ip(request) or "").strip()))
    except ValueError:
        return ""


def short_user_agent(request) -> str:
    return _CONTROL.sub("", request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_LENGTH]


def _clean(value, depth=0):
    if isinstance(value, dict):
        return {str(k): _clean(v, depth + 1) for k, v in value.items() if not _SECRET_KEYS.search(str(k))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [_clean(v, depth + 1) for v in items]
    return value


def _normalised_details(details) -> dict:
    # Exactly what the JSON column gives back, so the hash computed now is the hash recomputed later.
    return json.loads(json.dumps(_clean(details or {}), default=str, ensure_ascii=False))


def _locked_head() -> ChainHead:
    """The chain head, locked for this transaction (created on first use, or rebuilt from the
    last entry if someone removed it)."""
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    last = AuditEntry.objects.order_by("-seq").first()
    try:
        with transaction.atomic():
            ChainHead.objects.create(
                pk=1, last_seq=last.seq if last else 0, last_hash=last.entry_hash if last else GENESIS_HASH
            )
    except IntegrityError:  # another process created it a moment ago
        pass
    return ChainHead.objects.select_for_update().get(pk=1)


def _append(head: ChainHead, fields: dict) -> AuditEntry:
    entry = AuditEntry(seq=head.last_seq + 1, prev_hash=head.last_hash, created_at=timezone.now(), **fields)
    entry.entry_hash = entry.compute_hash()
    entry.save()
    ChainHead.objects.filter(pk=head.pk).update(last_seq=entry.seq, last_hash=entry.entry_hash)
    head.last_seq, head.last_hash = entry.seq, entry.entry_hash
    return entry


def _object_fields(obj, object_type, object_id, object_repr) -> dict:
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id if object_id != "" else obj.pk
        object_repr = object_repr or str(obj)
    return {
        "object_type": str(object_type or "")[:50],
        "object_id": str(object_id if object_id is not None else "")[:64],
        "object_repr": _CONTROL.sub(" ", str(object_repr or ""))[:200],
    }


def record(
    action: str,
    *,
    actor=_UNSET,
    obj=None,
    object_type: str = "",
    object_id="",
    object_repr: str = "",
    details: dict | None = None,
    request=_UNSET,
    strict: bool = False,
) -> AuditEntry | None:
    """Append one entry. ``actor`` defaults to the logged-in user of the current request
    (None: the system, e.g. the worker); ``request`` to the request being served, which
    gives the address and browser. Returns the entry, or None when it was suppressed or
    (not strict) could not be written."""
    action = Action(action)
    if context.is_suppressed(action):
        return None
    if request is _UNSET:
        request = context.current_request()
    if actor is _UNSET:
        user = getattr(request, "user", None) if request is not None else None
        actor = user if user is not None and user.is_authenticated else None
    fields = {
        "actor_id": actor.pk if actor is not None else None,
        "actor_username": (actor.get_username() if actor is not None else "")[:150],
        "action": action.value,
        "label": action.label,
        "details": _normalised_details(details),
        **_object_fields(obj, object_type, object_id, object_repr),
        "ip_address": client_address(request) if request is not None else "",
        "user_agent": short_user_agent(request) if request is not None else "",
    }
    try:
        with transaction.atomic():  # a savepoint inside the caller's transaction
            return _append(_locked_head(), fields)
    except Exception as error:
        if strict:
            logger.exception("audit append failed for %s; the action is refused", action.value)
            raise AuditUnavailable(str(error)) from error
        logger.exception("audit append failed for %s; the action went ahead unaudited", action.value)
        return None


@dataclass(frozen=True)
class PruneResult:
    removed: int
    through_seq: int = 0
    checkpoint: AuditEntry | None = None


def prune(*, now: dt.datetime | None = None, actor=None) -> PruneResult:
    """Remove the oldest entries that are all older than the retention period, so the chain
    stays verifiable: first append a checkpoint entry (``audit.pruned``) naming the last
    removed entry's seq and hash, then delete them and move the head's anchor there.
    ``selectors.verify_chain`` starts from the anchor and checks it against the newest
    checkpoint, so removing entries any other way is still detected."""
    now = now or timezone.now()
    days = retention_days()
    cutoff = now - dt.timedelta(days=days)
    with transaction.atomic():
        head = _locked_head()
        # Only a prefix of the chain can go, and only entries older than the cutoff: up to
        # the entry just before the first one that must be kept.
        first_kept = (
            AuditEntry.objects.filter(created_at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
        )
        candidates = AuditEntry.objects.filter(seq__lt=first_kept) if first_kept else AuditEntry.objects.all()
        through_seq = candidates.aggregate(last=Max("seq"))["last"]
        if not through_seq:
            return PruneResult(0)
        last_removed = AuditEntry.objects.get(seq=through_seq)
        removed = AuditEntry.objects.filter(seq__lte=through_seq, seq__gt=head.anchor_seq).count()
        checkpoint = _append(
            head,
            {
                "actor_id": actor.pk if actor else None,
                "actor_username": actor.get_username() if actor else "",
                "action": Action.PRUNED.value,
                "label": Action.PRUNED.label,
                "details": _normalised_details(
                    {
                        "removed_through_seq": through_seq,
                        "removed_through_hash": last_removed.entry_hash,
                        "removed_count": removed,
                        "retention_days": days,
                        "cutoff": cutoff.astimezone(dt.UTC).isoformat(timespec="seconds"),
                    }
                ),
                "object_type": "",
                "object_id": "",
                "object_repr": "",
                "ip_address": "",
                "user_agent": "",
            },
        )
        # The one place rows leave the log: raw SQL past the model's refusal.
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {connection.ops.quote_name(AuditEntry._meta.db_table)} WHERE seq <= %s", [through_seq]
            )
        ChainHead.objects.filter(pk=head.pk).update(anchor_seq=through_seq, anchor_hash=last_removed.entry_hash)
    logger.info("audit log pruned through entry %s (%s entries older than %s days)", through_seq, removed, days)
    return PruneResult(removed, through_seq, checkpoint)
