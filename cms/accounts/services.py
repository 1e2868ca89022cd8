"""Writes of member records: status changes along the development pipeline and bulk import."""

from __future__ import annotations

import contextvars
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from .models import (
    STATUS_PIPELINE,
    BranchRole,
    MemberStatus,
    Membership,
    OrganisationUnit,
    StatusChange,
    User,
)

#: Statuses for which 入党时间 makes sense (the import applies the same rule).
JOINED_PARTY_STATUSES = {MemberStatus.PROBATIONARY, MemberStatus.FULL, MemberStatus.TRANSFERRED_OUT}


def next_status(status: str) -> str | None:
    """The one forward step after ``status`` (None after 正式党员 and 已转出)."""
    if status not in STATUS_PIPELINE:
        return None
    index = STATUS_PIPELINE.index(status)
    return STATUS_PIPELINE[index + 1] if index + 1 < len(STATUS_PIPELINE) else None


def allowed_next_statuses(status: str) -> list[str]:
    """What ``change_status`` accepts from ``status``: the next step and 转出."""
    if status == MemberStatus.TRANSFERRED_OUT:
        return []
    step = next_status(status)
    return ([step] if step else []) + [MemberStatus.TRANSFERRED_OUT]


def _label(status: str) -> str:
    return MemberStatus(status).label if status in MemberStatus.values else str(status)


def change_status(
    membership: Membership, to_status: str, *, on: datetime.date, by: User | None, note: str = ""
) -> StatusChange:
    """Move a member one step along 入党申请人 → 入党积极分子 → 发展对象 → 预备党员 → 正式党员,
    or transfer them out (已转出) from any step; record the dated history row in the same
    transaction. Anything else raises a ValidationError a person can read.

    Becoming 预备党员 sets 入党时间 to ``on`` when it is not known yet.
    """
    if to_status not in MemberStatus.values:
        raise ValidationError(f"未知的身份：{to_status}")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        current = locked.status
        if to_status == current:
            raise ValidationError(f"该人员已经是「{_label(current)}」，无需变更。")
        if current == MemberStatus.TRANSFERRED_OUT:
            raise ValidationError("该人员已转出，不能再变更身份。")
        if to_status not in allowed_next_statuses(current):
            step = next_status(current)
            if step is None:
                raise ValidationError(f"「{_label(current)}」已是发展流程的最后一步，只能办理转出。")
            raise ValidationError(
                f"不能从「{_label(current)}」变更为「{_label(to_status)}」：下一步只能是「{_label(step)}」或转出。"
            )
        if on > timezone.localdate():
            raise ValidationError("变更日期不能晚于今天。")
        last = locked.status_changes.order_by("-changed_on").values_list("changed_on", flat=True).first()
        if last and on < last:
            raise ValidationError(f"变更日期不能早于上一次变更的日期（{last:%Y年%m月%d日}）。")

        locked.status = to_status
        fields = ["status", "updated_at"]
        if to_status == MemberStatus.PROBATIONARY and locked.joined_party_on is None:
            locked.joined_party_on = on
            fields.append("joined_party_on")
        locked.save(update_fields=fields)
        change = StatusChange.objects.create(
            membership=locked, from_status=current, to_status=to_status, changed_on=on, note=note, recorded_by=by
        )
    membership.refresh_from_db()
    return change


def import_people(file, *, dry_run: bool, by: User | None):
    """Read a CSV or XLSX roster (姓名, 工号 or 手机号, 支部, 身份, 入党时间, 角色), check every
    row first and return an ``ImportReport``. Writes happen only when ``dry_run`` is false and
    the whole file is clean, all inside one transaction (all or nothing). See
    ``people_import`` for the rules."""
    from .people_import import run_import

    if dry_run:
        return run_import(file, dry_run=True, by=by)
    token = _importing_people.set(True)
    try:
        report = run_import(file, dry_run=False, by=by)
    finally:
        _importing_people.reset(token)
    if report.ok:
        people_imported.send(sender=type(report), report=report, by=by)
    return report


#: Sent after a clean import was written (``report``, ``by``). The audit log records the whole
#: import as one entry (counts, who, from where) instead of one per row: its receivers skip
#: the rows' member and password entries while ``importing_people()``; group changes the
#: import causes (支部书记) are still recorded one by one.
people_imported = Signal()
_importing_people: contextvars.ContextVar[bool] = contextvars.ContextVar("importing_people", default=False)


def importing_people() -> bool:
    """Is ``import_people`` writing in this thread right now?"""
    return _importing_people.get()


# Branch secretaries ------------------------------------------------------------------------------


def is_serving_secretary(membership: Membership) -> bool:
    """A 支部书记 who has been transferred out no longer leads the branch: their record keeps
    the role for history, but they lose what the role grants."""
    return membership.role == BranchRole.SECRETARY and membership.status != MemberStatus.TRANSFERRED_OUT


def sync_secretary_group(membership: Membership, *, deleted: bool = False) -> None:
    """Put the person in the 支部书记 group exactly while their record makes them a serving
    secretary. Called for every saved or deleted ``Membership`` by ``signals.py`` — the only
    caller — so the import, the admin forms, ``change_status`` (转出) and the shell all keep the
    group right without remembering to."""
    from .roles import SECRETARY, secretary_group

    if not deleted and is_serving_secretary(membership):
        secretary_group().user_set.add(membership.user_id)  # add() skips an existing row
    else:
        # One query, and a no-op for the many who never were secretaries.
        User.groups.through.objects.filter(user_id=membership.user_id, group__name=SECRETARY).delete()


def sync_all_secretary_groups() -> None:
    """Repair the whole group at once (``setup_roles``): adds the serving secretaries and
    removes everyone else, including people put in the group by hand."""
    from .roles import secretary_group

    group = secretary_group()
    serving = set(
        Membership.objects.filter(role=BranchRole.SECRETARY)
        .exclude(status=MemberStatus.TRANSFERRED_OUT)
        .values_list("user_id", flat=True)
    )
    current = set(group.user_set.values_list("pk", flat=True))
    if serving - current:
        group.user_set.add(*(serving - current))
    if current - serving:
        group.user_set.remove(*(current - serving))


def update_record(
    membership: Membership, *, role: str, joined_party_on: datetime.date | None, organisation: OrganisationUnit | None
) -> Membership:
    """Save the editable parts of a member's record (the 身份 changes only through
    ``change_status``). Who may set what is the admin form's business; this keeps the data
    rules the import also applies."""
    if role not in BranchRole.values:
        raise ValidationError(f"未知的支部职务：{role}")
    if joined_party_on is not None:
        if joined_party_on > timezone.localdate():
            raise ValidationError({"joined_party_on": "入党时间不能晚于今天。"})
        if membership.status not in JOINED_PARTY_STATUSES:
            raise ValidationError({"joined_party_on": f"身份为「{_label(membership.status)}」时不应填写入党时间。"})
    moved = organisation is not None and organisation.pk != membership.user.organisation_id
    if moved and organisation.kind != OrganisationUnit.Kind.BRANCH:
        raise ValidationError(
            {"organisation": f"「{organisation.name}」是{organisation.get_kind_display()}，党员只能编入党支部。"}
        )
    with transaction.atomic():
        user = membership.user
        if user.organisation_id != (organisation.pk if organisation else None):
            user.organisation = organisation
            user.save(update_fields=["organisation"])
        membership.role = role
        membership.joined_party_on = joined_party_on
        membership.save(update_fields=["role", "joined_party_on", "updated_at"])
    return membership
