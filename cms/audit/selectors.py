"""Reads of the audit log: the chain check (``verify_chain``) and the admin's search."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import GENESIS_HASH, Action, AuditEntry, ChainHead


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    last_seq: int
    last_hash: str
    problem: str = ""  # Chinese, for the operator
    broken_seq: int | None = None
    broken_at: dt.datetime | None = None

    def message(self) -> str:
        if self.ok:
            return (
                f"审计日志完整：已校验 {self.checked} 条记录，最后一条序号 {self.last_seq}，链尾哈希 {self.last_hash}。"
            )
        where = ""
        if self.broken_seq is not None:
            when = timezone.localtime(self.broken_at).strftime("%Y-%m-%d %H:%M:%S") if self.broken_at else "时间未知"
            where = f"第一条异常记录：序号 {self.broken_seq}，时间 {when}。"
        return f"审计日志已被篡改或损坏！{where}{self.problem}"


def verify_chain(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the kept chain in ``seq`` order from the head's anchor (the last pruned entry, or
    the start) and report the first entry that does not fit: a gap in ``seq`` (a row deleted
    or moved), a ``prev_hash`` that is not the previous entry's hash (a row deleted, inserted
    or reordered), or a hash that does not match the entry's own fields (a field changed).
    Then check the tail against the head (rows cut off the end) and the anchor against the
    newest prune checkpoint (rows cut off the start)."""
    head = ChainHead.objects.filter(pk=1).first()
    anchor_seq, anchor_hash = (head.anchor_seq, head.anchor_hash) if head else (0, GENESIS_HASH)
    expected_seq, expected_prev, checked = anchor_seq + 1, anchor_hash, 0
    last_seq, last_hash = anchor_seq, anchor_hash

    def broken(entry, problem):
        return ChainReport(False, checked, last_seq, last_hash, problem, entry.seq, entry.created_at)

    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if entry.seq != expected_seq:
            if entry.seq < expected_seq:
                return broken(entry, f"序号 {entry.seq} 早于链的起点（序号 {anchor_seq + 1}）：清理记录与链头不符。")
            return broken(entry, f"序号应为 {expected_seq}，实为 {entry.seq}：其前的记录被删除或移动。")
        if entry.prev_hash != expected_prev:
            return broken(entry, "该记录的“上一条哈希”与前一条记录不衔接：记录被删除、插入或调换了顺序。")
        if entry.compute_hash() != entry.entry_hash:
            return broken(entry, "该记录的内容与其哈希不符：记录被修改。")
        checked += 1
        expected_seq, expected_prev = entry.seq + 1, entry.entry_hash
        last_seq, last_hash = entry.seq, entry.entry_hash

    if head is not None and (head.last_seq, head.last_hash) != (last_seq, last_hash):
        return ChainReport(
            False,
            checked,
            last_seq,
            last_hash,
            f"链头记录的最后序号为 {head.last_seq}，实际只到 {last_seq}：最新的记录被删除。",
            head.last_seq if head.last_seq > last_seq else last_seq,
            None,
        )
    if anchor_seq:
        checkpoint = AuditEntry.objects.filter(action=Action.PRUNED).order_by("-seq").first()
        details = checkpoint.details if checkpoint else {}
        if (details.get("removed_through_seq"), details.get("removed_through_hash")) != (anchor_seq, anchor_hash):
            return ChainReport(
                False,
                checked,
                last_seq,
                last_hash,
                f"链的起点（序号 {anchor_seq + 1}）与最近一次清理记录不符：较早的记录被删除。",
                anchor_seq + 1,
                None,
            )
    return ChainReport(True, checked, last_seq, last_hash)


# The admin's search ---------------------------------------------------------------------------


def search_entries(
    *,
    person: str = "",
    action: str = "",
    obj: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    ip: str = "",
) -> QuerySet[AuditEntry]:
    """Entries newest first, filtered: ``person`` matches the actor's user name or the person
    acted on (a failed log-in's attempted name, a member record); ``obj`` the object's type,
    id or text; dates are whole days in the site's time zone, both ends included."""
    entries = AuditEntry.objects.all()
    person, obj, ip = person.strip(), obj.strip(), ip.strip()
    if person:
        entries = entries.filter(Q(actor_username__icontains=person) | Q(object_repr__icontains=person))
    if action:
        entries = entries.filter(action=action)
    if obj:
        entries = entries.filter(Q(object_type__icontains=obj) | Q(object_id=obj) | Q(object_repr__icontains=obj))
    if date_from:
        entries = entries.filter(created_at__gte=_start_of(date_from))
    if date_to:
        entries = entries.filter(created_at__lt=_start_of(date_to + dt.timedelta(days=1)))
    if ip:
        entries = entries.filter(ip_address__startswith=ip)
    return entries.order_by("-seq")


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
