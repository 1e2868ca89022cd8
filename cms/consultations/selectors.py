"""Who reads and answers what (no writes here; see services.py).

* The asker sees their own items (member API).
* A branch item: the addressed unit's serving 支部书记 and 组织委员 (by their member record:
  role, unit, not 已转出) and 管理员. Not the secretaries of other branches, nor of the
  党总支 or 党委 above: the member addressed their own branch.
* A committee-office item (党委办公室): staff in the 答复 group and 管理员.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from cms.accounts.models import BranchRole, MemberStatus, Membership, User
from cms.accounts.selectors import is_administrator

from .models import Addressee, Consultation, State

#: Branch roles that read and answer their branch's items.
ANSWERING_ROLES = (BranchRole.SECRETARY, BranchRole.ORGANISATION)


@dataclass(frozen=True)
class AnswerScope:
    """What someone may read and answer; computed once per request (``answer_scope``)."""

    everything: bool = False
    unit_ids: frozenset[int] = frozenset()  # branch items of these units
    committee: bool = False  # committee-office items

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.unit_ids or self.committee)

    def covers(self, consultation: Consultation) -> bool:
        if self.everything:
            return True
        if consultation.addressee == Addressee.COMMITTEE:
            return self.committee
        return consultation.unit_id in self.unit_ids


NOBODY = AnswerScope()


def answering_units(user: User) -> frozenset[int]:
    """The unit whose items ``user`` answers as its serving 支部书记 or 组织委员."""
    membership = (
        Membership.objects.filter(user=user, role__in=ANSWERING_ROLES)
        .exclude(status=MemberStatus.TRANSFERRED_OUT)
        .select_related("user")
        .first()
    )
    if membership is None or membership.user.organisation_id is None:
        return frozenset()
    return frozenset([membership.user.organisation_id])


def is_committee_answerer(user: User) -> bool:
    from cms.accounts.roles import ANSWERER

    return user.groups.filter(name=ANSWERER).exists()


def answer_scope(user: User) -> AnswerScope:
    if not (user.is_authenticated and user.is_active):
        return NOBODY
    cached = getattr(user, "_dj_answer_scope", None)
    if cached is not None:
        return cached
    if is_administrator(user):
        scope = AnswerScope(everything=True)
    else:
        scope = AnswerScope(unit_ids=answering_units(user), committee=is_committee_answerer(user))
    user._dj_answer_scope = scope
    return scope


def can_answer(user: User, consultation: Consultation) -> bool:
    return answer_scope(user).covers(consultation)


def is_asker(user: User, consultation: Consultation) -> bool:
    return bool(user.is_authenticated and user.is_active and consultation.asker_id == user.pk)


def answerable(scope: AnswerScope) -> QuerySet[Consultation]:
    """Every item within ``scope`` (every admin read starts here)."""
    items = Consultation.objects.select_related("asker", "asker__organisation", "unit")
    if scope.everything:
        return items
    condition = Q(pk__in=[])
    if scope.unit_ids:
        condition |= Q(addressee=Addressee.BRANCH, unit_id__in=scope.unit_ids)
    if scope.committee:
        condition |= Q(addressee=Addressee.COMMITTEE)
    return items.filter(condition)


def overdue(items: QuerySet[Consultation], now=None) -> QuerySet[Consultation]:
    return items.filter(state=State.PENDING, due_at__lt=now or timezone.now())


def is_overdue(consultation: Consultation, now=None) -> bool:
    return (
        consultation.state == State.PENDING
        and consultation.due_at is not None
        and consultation.due_at < (now or timezone.now())
    )


def filtered(
    items: QuerySet[Consultation], *, state: str = "", kind: str = "", only_overdue: bool = False, now=None
) -> QuerySet[Consultation]:
    if state:
        items = items.filter(state=state)
    if kind:
        items = items.filter(kind=kind)
    if only_overdue:
        items = overdue(items, now)
    return items


def dashboard_counts(user: User, now=None) -> dict[str, int] | None:
    """待回复 / 已超期 for the person's dashboard panel (None: they answer nothing)."""
    scope = answer_scope(user)
    if scope.is_empty:
        return None
    items = answerable(scope)
    return {"pending": items.filter(state=State.PENDING).count(), "overdue": overdue(items, now).count()}


# ------------------------------------------------------------------------------- the asker


def mine(user: User) -> QuerySet[Consultation]:
    return Consultation.objects.filter(asker=user).select_related("unit")


def my_consultation(user: User, pk: int) -> Consultation | None:
    return mine(user).filter(pk=pk).first()


def unseen_answers(user: User) -> int:
    """My items answered since I last opened them (the 我的咨询 badge)."""
    from django.db.models import F

    if not (user.is_authenticated and user.is_active):
        return 0
    return (
        mine(user)
        .filter(last_answered_at__isnull=False)
        .filter(Q(last_seen_at__isnull=True) | Q(last_answered_at__gt=F("last_seen_at")))
        .count()
    )


def is_unseen(consultation: Consultation) -> bool:
    return bool(
        consultation.last_answered_at
        and (consultation.last_seen_at is None or consultation.last_answered_at > consultation.last_seen_at)
    )


def thread(consultation: Consultation):
    return consultation.messages.select_related("author")
