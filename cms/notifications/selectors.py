"""Who sends, sees and reads which notice (no writes here; see services.py).

* The committee office — 管理员 and the 党委's editors (group 编辑) — sends to any unit and
  sees every notice and every recipient.
* A serving 支部书记 (``accounts.selectors.scope_of``) sends from and to their unit and the
  units below it, edits drafts of those units, and sees the receipts of recipients in those
  units for any sent notice that reached them (also the office's).
* A member reads the notices they received (member API); nobody else's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from cms.accounts.audience import UnitTree
from cms.accounts.models import MemberStatus, Membership, OrganisationUnit, User
from cms.accounts.selectors import NO_ONE, Scope, group_names, is_administrator, scope_of

from .models import Notice, NoticeRecipient

#: The units someone sends to and watches: the admin's one scope type (``unit_ids`` None =
#: every unit, the committee office), computed once per request by ``notice_scope``.
NoticeScope = Scope
NOBODY = NO_ONE


def is_committee_office(user: User) -> bool:
    from cms.accounts.roles import EDITOR

    return is_administrator(user) or EDITOR in group_names(user)


def notice_scope(user: User) -> NoticeScope:
    if not (user.is_authenticated and user.is_active):
        return NOBODY
    cached = getattr(user, "_dj_notice_scope", None)
    if cached is None:
        if is_committee_office(user):
            cached = NoticeScope(None, "全部组织（党委办公室）")
        else:
            scope = scope_of(user)  # a serving secretary: their unit and below; else no one
            cached = NoticeScope(scope.unit_ids, scope.label)
        user._dj_notice_scope = cached
    return cached


def sender_units(scope: NoticeScope) -> QuerySet[OrganisationUnit]:
    units = OrganisationUnit.objects.order_by("sort_order", "name")
    return units if scope.everything else units.filter(pk__in=scope.unit_ids)


def visible(scope: NoticeScope) -> QuerySet[Notice]:
    """Notices someone sees in the admin: their units' drafts and sent notices, and sent
    notices that reached a recipient in their units."""
    notices = Notice.objects.select_related("sender_unit")
    if scope.everything:
        return notices
    reached = NoticeRecipient.objects.filter(notice=OuterRef("pk"), unit_id__in=scope.unit_ids)
    return notices.filter(Q(sender_unit_id__in=scope.unit_ids) | (Q(sent_at__isnull=False) & Exists(reached)))


def editable(scope: NoticeScope) -> QuerySet[Notice]:
    """Drafts someone may edit and send: those of their units."""
    drafts = Notice.objects.filter(sent_at__isnull=True).select_related("sender_unit")
    return drafts if scope.everything else drafts.filter(sender_unit_id__in=scope.unit_ids)


def with_counts(notices: QuerySet[Notice], scope: NoticeScope) -> QuerySet[Notice]:
    """Recipients, read, confirmed and replied counts within ``scope`` (for the list)."""
    mine = Q() if scope.everything else Q(recipients__unit_id__in=scope.unit_ids)
    return notices.annotate(
        n_recipients=Count("recipients", filter=mine),
        n_read=Count("recipients", filter=mine & Q(recipients__read_at__isnull=False)),
        n_confirmed=Count("recipients", filter=mine & Q(recipients__confirmed_at__isnull=False)),
        n_replied=Count("recipients", filter=mine & ~Q(recipients__reply="")),
    )


def recipients_in(notice: Notice, scope: NoticeScope) -> QuerySet[NoticeRecipient]:
    rows = notice.recipients.select_related("user", "unit").order_by("unit__sort_order", "unit__name", "user__username")
    return rows if scope.everything else rows.filter(unit_id__in=scope.unit_ids)


def audience_members(notice: Notice) -> QuerySet[Membership]:
    """The member records a draft would reach now, in a fixed number of queries whatever
    the audience: the unit tree (1), the chosen units (1) and the records (lazy, 1)."""
    tree = UnitTree()
    units = tree.below(notice.audience_units.values_list("pk", flat=True))
    records = Membership.objects.filter(user__organisation_id__in=units, user__is_active=True).exclude(
        status=MemberStatus.TRANSFERRED_OUT
    )
    if notice.audience_statuses:
        records = records.filter(status__in=notice.audience_statuses)
    return records


def is_done(recipient: NoticeRecipient, notice: Notice) -> bool:
    """Has the recipient done what the notice asks (reply, else confirm, else read)?"""
    if notice.requires_reply:
        return bool(recipient.reply)
    if notice.requires_confirmation:
        return recipient.confirmed_at is not None
    return recipient.read_at is not None


def outstanding(notice: Notice, recipients: QuerySet[NoticeRecipient]) -> QuerySet[NoticeRecipient]:
    """``recipients`` who have not yet done what the notice asks (whom 提醒 reaches)."""
    if notice.requires_reply:
        return recipients.filter(reply="")
    if notice.requires_confirmation:
        return recipients.filter(confirmed_at__isnull=True)
    return recipients.filter(read_at__isnull=True)


@dataclass
class UnitStatus:
    unit_name: str
    rows: list[NoticeRecipient]
    read: int = 0
    confirmed: int = 0
    attend: int = 0
    absent: int = 0
    outstanding: int = 0

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def replied(self) -> int:
        return self.attend + self.absent


def status_by_unit(notice: Notice, scope: NoticeScope) -> list[UnitStatus]:
    """Recipients within ``scope`` grouped by their unit at sending (one query)."""
    groups: dict[int | None, UnitStatus] = {}
    for row in recipients_in(notice, scope):
        group = groups.get(row.unit_id)
        if group is None:
            group = groups[row.unit_id] = UnitStatus(row.unit.name if row.unit else "（无组织）", [])
        group.rows.append(row)
        group.read += row.read_at is not None
        group.confirmed += row.confirmed_at is not None
        group.attend += row.reply == "attend"
        group.absent += row.reply == "absent"
        group.outstanding += not is_done(row, notice)
    return list(groups.values())


# Member side ---------------------------------------------------------------------------------


def my_receipts(user: User) -> QuerySet[NoticeRecipient]:
    """The notices ``user`` received, unread first, then the newest."""
    from django.db.models import F

    if not (user.is_authenticated and user.is_active):
        return NoticeRecipient.objects.none()
    return (
        NoticeRecipient.objects.filter(user=user, notice__sent_at__isnull=False)
        .select_related("notice", "notice__sender_unit")
        .order_by(F("read_at").asc(nulls_first=True), "-notice__sent_at", "-pk")
    )


def my_receipt(user: User, notice_id: int) -> NoticeRecipient | None:
    return my_receipts(user).filter(notice_id=notice_id).first()


def unread_count(user: User) -> int:
    """Notices the member has not opened (the 通知 badge)."""
    if not (user.is_authenticated and user.is_active):
        return 0
    return NoticeRecipient.objects.filter(user=user, read_at__isnull=True, notice__sent_at__isnull=False).count()
