"""Reads of the organisation tree and member records (no writes here; see services.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from .models import Membership, OrganisationUnit, User


def descendant_ids(unit: OrganisationUnit) -> list[int]:
    """Ids of ``unit`` and everything below it, breadth first: one query per tree level.

    The tree is shallow (党委 → 党总支 → 党支部, rarely more than four levels), so this is a
    handful of indexed queries and works the same on SQLite and PostgreSQL. ``seen`` makes
    it terminate even on a cycle written to the database behind ``clean()``'s back.
    """
    ids, seen, frontier = [unit.pk], {unit.pk}, [unit.pk]
    while frontier:
        children = list(
            OrganisationUnit.objects.filter(parent_id__in=frontier).exclude(pk__in=seen).values_list("pk", flat=True)
        )
        seen.update(children)
        ids.extend(children)
        frontier = children
    return ids


def descendants(unit: OrganisationUnit) -> QuerySet[OrganisationUnit]:
    """``unit`` itself and all units below it, at any depth."""
    return OrganisationUnit.objects.filter(pk__in=descendant_ids(unit))


def branch_path(unit: OrganisationUnit) -> list[OrganisationUnit]:
    """The units from the top of the tree down to ``unit`` (inclusive), e.g.
    [某某集团党委, 机关党总支, 第一党支部]; one query per level above ``unit``."""
    path, seen, node = [unit], {unit.pk}, unit
    while node.parent_id is not None and node.parent_id not in seen:
        node = OrganisationUnit.objects.get(pk=node.parent_id)
        seen.add(node.pk)
        path.append(node)
    return list(reversed(path))


def ancestor_ids(unit_id: int) -> set[int]:
    """Ids of the unit and every unit above it in one query, however deep the tree (a
    recursive CTE, the same SQL on SQLite and PostgreSQL). The member area's hot requests
    check audiences with these; ``UNION`` (not ``UNION ALL``) ends the walk on a cycle."""
    with connection.cursor() as cursor:
        cursor.execute(ancestors_sql(), [unit_id])
        return {row[0] for row in cursor.fetchall()}


def ancestors_sql(unit: str = "%s") -> str:
    """``ancestor_ids``' statement with ``unit`` as the placeholder of the unit's id, also for
    use as a subquery of another statement (``study.services.record_study_time``), where the
    ids need not come back to Python first."""
    table = connection.ops.quote_name(OrganisationUnit._meta.db_table)
    return (
        f"WITH RECURSIVE up(id, parent_id) AS ("
        f"SELECT id, parent_id FROM {table} WHERE id = {unit} "
        f"UNION SELECT unit.id, unit.parent_id FROM {table} unit JOIN up ON unit.id = up.parent_id"
        f") SELECT id FROM up"
    )


def branch_path_display(unit: OrganisationUnit, separator: str = " / ") -> str:
    return separator.join(u.name for u in branch_path(unit))


def people_in(unit: OrganisationUnit) -> QuerySet[User]:
    """Users whose organisation is ``unit`` or any unit below it."""
    return User.objects.filter(organisation_id__in=descendant_ids(unit))


def memberships_in(unit: OrganisationUnit) -> QuerySet[Membership]:
    return Membership.objects.filter(user__organisation_id__in=descendant_ids(unit)).select_related(
        "user", "user__organisation"
    )


def status_history(membership: Membership):
    return membership.status_changes.select_related("recorded_by")


# Whose records a person may see in the admin -------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The units whose people someone may see and manage in the admin. Computed once per
    request (``scope_of``) and handed to every read, so a view never asks twice."""

    unit_ids: frozenset[int] | None  # None: every unit, and people without one
    label: str = ""

    @property
    def everything(self) -> bool:
        return self.unit_ids is None

    @property
    def is_empty(self) -> bool:
        return self.unit_ids is not None and not self.unit_ids

    def covers(self, organisation_id: int | None) -> bool:
        return self.unit_ids is None or organisation_id in self.unit_ids


NO_ONE = Scope(frozenset())


def group_names(user: User) -> frozenset[str]:
    """The names of the person's groups, in one query, remembered on the user object (which
    lives for one request): every admin menu item asks about a group of its own."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_dj_group_names", None)
    if cached is None:
        cached = user._dj_group_names = frozenset(user.groups.values_list("name", flat=True))
    return cached


def is_administrator(user: User) -> bool:
    """A 管理员 (the group) or a superuser."""
    from .roles import ADMINISTRATOR

    return bool(user.is_active and (user.is_superuser or ADMINISTRATOR in group_names(user)))


def sees_every_unit(user: User) -> bool:
    """管理员 and superusers look after the whole organisation."""
    return is_administrator(user)


def scope_of(user: User) -> Scope:
    """Every unit for 管理员 and superusers; a serving 支部书记's own unit and everything below
    it; nobody otherwise. Scope follows the member record, not the group, so a person put in
    the 支部书记 group by hand gains no one.

    Remembered on the user object like ``is_administrator``: an admin page asks for it in the
    view and again in the menu items of 学习进度 and 党员管理 (two queries each time)."""
    if not (user.is_authenticated and user.is_active):
        return NO_ONE
    cached = getattr(user, "_dj_scope", None)
    if cached is None:
        cached = user._dj_scope = _scope_of(user)
    return cached


def _scope_of(user: User) -> Scope:
    from .services import is_serving_secretary

    if sees_every_unit(user):
        return Scope(None, "全部组织")
    membership = Membership.objects.filter(user=user).select_related("user__organisation").first()
    if membership is None or not is_serving_secretary(membership) or membership.user.organisation is None:
        return NO_ONE
    unit = membership.user.organisation
    ids = descendant_ids(unit)
    return Scope(frozenset(ids), f"{unit.name}及其下级组织" if len(ids) > 1 else unit.name)


def memberships_visible_to(scope: Scope) -> QuerySet[Membership]:
    """Member records within ``scope`` (every query of the membership admin starts here)."""
    records = Membership.objects.select_related("user", "user__organisation")
    return records if scope.everything else records.filter(user__organisation_id__in=scope.unit_ids)


def units_visible_to(scope: Scope) -> QuerySet[OrganisationUnit]:
    units = OrganisationUnit.objects.all()
    return units if scope.everything else units.filter(pk__in=scope.unit_ids)


def can_manage_members(user: User, action: str = "view", scope: Scope | None = None) -> bool:
    """The membership admin: ``accounts.view_membership`` / ``change_membership`` (管理员,
    支部书记) and someone to look after."""
    if not (user.is_authenticated and user.is_active and user.has_perm(f"accounts.{action}_membership")):
        return False
    return not (scope or scope_of(user)).is_empty


def search_memberships(
    records: QuerySet[Membership], *, text: str = "", unit: OrganisationUnit | None = None, status: str = ""
) -> QuerySet[Membership]:
    """Filter member records by 姓名 or 工号 (part of either), unit (and below) and 身份."""
    from django.db.models import Q
    from django.db.models.functions import Concat

    if unit is not None:
        records = records.filter(user__organisation_id__in=descendant_ids(unit))
    if status:
        records = records.filter(status=status)
    text = "".join(text.split())
    if text:
        records = records.annotate(full_name=Concat("user__last_name", "user__first_name")).filter(
            Q(full_name__icontains=text) | Q(user__username__icontains=text)
        )
    return records.order_by("user__organisation__sort_order", "user__organisation__name", "user__username")
