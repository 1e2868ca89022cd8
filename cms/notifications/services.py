"""Writes: drafting, sending, reminding (the admin) and reading, confirming, replying (the
member API). Refusals are ``ValidationError`` with a Chinese message; a notice outside
someone's reach is ``PermissionDenied`` (the API answers it as a 404)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cms.accounts.models import MemberStatus, OrganisationUnit, User
from cms.audit.models import Action
from cms.audit.services import record

from . import events, selectors
from .models import Notice, NoticeRecipient, Reply

BATCH = 1000
#: How long after a reminder the same person is not reminded again.
REMIND_INTERVAL = dt.timedelta(hours=1)
REASON_MAX = 500


def _check_units(scope: selectors.NoticeScope, sender_unit: OrganisationUnit, audience_units) -> None:
    if scope.is_empty:
        raise PermissionDenied
    if not scope.covers(sender_unit.pk):
        raise ValidationError({"sender_unit": "只能以本组织或下级组织的名义发通知。"})
    if not audience_units:
        raise ValidationError({"audience_units": "请至少选择一个面向组织。"})
    outside = [unit.name for unit in audience_units if not scope.covers(unit.pk)]
    if outside:
        raise ValidationError({"audience_units": f"只能发给本组织及下级组织，不能发给：{'、'.join(outside)}。"})


def _check_reply_rules(requires_reply: bool, deadline) -> None:
    if requires_reply and deadline is None:
        raise ValidationError({"deadline": "需要回执的通知须设置截止时间。"})


@transaction.atomic
def save_draft(
    user: User,
    notice: Notice | None,
    *,
    title: str,
    body: str,
    kind: str,
    sender_unit: OrganisationUnit,
    audience_units,
    audience_statuses: list[str],
    requires_confirmation: bool,
    requires_reply: bool,
    deadline,
) -> Notice:
    """Create a draft (``notice`` None) or change one; a sent notice cannot change."""
    scope = selectors.notice_scope(user)
    audience_units = list(audience_units)
    _check_units(scope, sender_unit, audience_units)
    _check_reply_rules(requires_reply, deadline)
    allowed = {status.value for status in MemberStatus if status != MemberStatus.TRANSFERRED_OUT}
    if not set(audience_statuses) <= allowed:
        raise ValidationError({"audience_statuses": "请从列表中选择面向身份。"})
    if notice is None:
        notice = Notice(created_by=user)
    else:
        notice = selectors.editable(scope).select_for_update().filter(pk=notice.pk).first()
        if notice is None:
            raise ValidationError("该通知已发送，不能再修改。")
    notice.title = title
    notice.body = body
    notice.kind = kind
    notice.sender_unit = sender_unit
    notice.audience_statuses = list(audience_statuses)
    notice.requires_confirmation = requires_confirmation
    notice.requires_reply = requires_reply
    notice.deadline = deadline
    notice.full_clean(exclude=["audience_units", "created_by", "sent_by"])
    notice.save()
    notice.audience_units.set(audience_units)
    return notice


def send(user: User, notice: Notice, *, now=None) -> int:
    """Freeze the audience into recipient rows and mark the notice sent; returns how many
    received it. The audience is resolved once in bulk (``selectors.audience_members``):
    a fixed number of queries plus one insert per ``BATCH`` recipients. The conditional
    update makes a double click or two senders at once send it only once."""
    now = now or timezone.now()
    scope = selectors.notice_scope(user)
    with transaction.atomic():
        if not selectors.editable(scope).filter(pk=notice.pk).exists():
            raise ValidationError("该通知已发送，或您无权发送。")
        notice.refresh_from_db()
        units = list(notice.audience_units.all())
        _check_units(scope, notice.sender_unit, units)
        _check_reply_rules(notice.requires_reply, notice.deadline)
        if notice.deadline is not None and notice.deadline <= now:
            raise ValidationError({"deadline": "截止时间已过，请修改后再发送。"})
        people = list(selectors.audience_members(notice).values_list("user_id", "user__organisation_id"))
        if not people:
            raise ValidationError("所选组织和身份下没有可接收通知的人员。")
        if not Notice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(sent_at=now, sent_by=user):
            raise ValidationError("该通知已发送。")
        NoticeRecipient.objects.bulk_create(
            [NoticeRecipient(notice_id=notice.pk, user_id=uid, unit_id=unit_id) for uid, unit_id in people],
            batch_size=BATCH,
        )
        notice.sent_at, notice.sent_by = now, user
        _audit(Action.NOTICE_SENT, user, notice, {"recipients": len(people)})
        transaction.on_commit(lambda: events.notice_sent(notice))
    return len(people)


def _audit(action, user: User, notice: Notice, details: dict) -> None:
    # The title may name people or matters; the entry names the notice by its number only.
    record(
        action,
        actor=user,
        obj=notice,
        object_type="notice",
        object_id=notice.pk,
        object_repr=f"通知 #{notice.pk}",
        details=details,
    )


def audience_size(notice: Notice) -> int:
    return selectors.audience_members(notice).count()


def delete_draft(user: User, notice: Notice) -> None:
    deleted, _ = selectors.editable(selectors.notice_scope(user)).filter(pk=notice.pk).delete()
    if not deleted:
        raise ValidationError("已发送的通知不能删除。")


def remind(user: User, notice: Notice, *, now=None) -> int:
    """Remind the recipients within the person's scope who have not done what the notice
    asks: record the time and hand them to ``events.notice_reminded``. Returns how many.

    Someone reminded less than ``REMIND_INTERVAL`` ago is left out: each reminder may become
    a chat message and an email per person, and a second click (or the office and the
    secretary both pressing) must not send them twice."""
    now = now or timezone.now()
    scope = selectors.notice_scope(user)
    if notice.sent_at is None:
        raise ValidationError("草稿尚未发送，不能提醒。")
    with transaction.atomic():
        waiting = selectors.outstanding(notice, selectors.recipients_in(notice, scope))
        rows = list(waiting.filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - REMIND_INTERVAL)))
        if not rows:
            if waiting.exists():
                minutes = int(REMIND_INTERVAL.total_seconds() // 60)
                raise ValidationError(f"未完成的人员在 {minutes} 分钟内已提醒过，请稍后再提醒。")
            return 0
        NoticeRecipient.objects.filter(pk__in=[row.pk for row in rows]).update(last_reminded_at=now)
        for row in rows:
            row.last_reminded_at = now
        _audit(Action.NOTICE_REMINDED, user, notice, {"recipients": len(rows), "scope": scope.label})
        transaction.on_commit(lambda: events.notice_reminded(notice, rows))
    return len(rows)


# Member side ---------------------------------------------------------------------------------


def mark_read(receipt: NoticeRecipient, *, now=None) -> NoticeRecipient:
    if receipt.read_at is None:
        receipt.read_at = now or timezone.now()
        # Conditional: a second tab opening it at the same moment keeps the first time.
        NoticeRecipient.objects.filter(pk=receipt.pk, read_at__isnull=True).update(read_at=receipt.read_at)
    return receipt


def confirm(receipt: NoticeRecipient, *, now=None) -> NoticeRecipient:
    """已读确认; confirming again changes nothing (the first time is kept)."""
    if not receipt.notice.requires_confirmation:
        raise ValidationError("该通知不需要确认。")
    now = now or timezone.now()
    mark_read(receipt, now=now)
    if receipt.confirmed_at is None:
        receipt.confirmed_at = now
        NoticeRecipient.objects.filter(pk=receipt.pk, confirmed_at__isnull=True).update(confirmed_at=now)
    return receipt


def deadline_passed(notice: Notice, now=None) -> bool:
    return notice.deadline is not None and (now or timezone.now()) > notice.deadline


def reply(receipt: NoticeRecipient, *, attend: bool, reason: str = "", now=None) -> NoticeRecipient:
    """回执: 参加, or 不参加 with a reason; may be changed until the deadline."""
    notice = receipt.notice
    if not notice.requires_reply:
        raise ValidationError("该通知不需要回执。")
    now = now or timezone.now()
    if deadline_passed(notice, now):
        local = timezone.localtime(notice.deadline)
        raise ValidationError(f"回执截止时间（{local:%Y年%m月%d日 %H:%M}）已过，不能再提交或修改回执。")
    reason = " ".join(reason.split())
    if not attend and not reason:
        raise ValidationError({"reason": "选择“不参加”时请填写原因。"})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"原因最多 {REASON_MAX} 个字。"})
    mark_read(receipt, now=now)
    receipt.reply = Reply.ATTEND if attend else Reply.ABSENT
    receipt.reason = "" if attend else reason
    receipt.replied_at = now
    receipt.save(update_fields=["reply", "reason", "replied_at"])
    return receipt
