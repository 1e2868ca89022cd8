"""Reads of the organisation tree and member records (no writes here; see services.py)."""
from __future__ import annotations

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
            OrganisationUnit.objects.filter(parent_id__in=frontier).exclude(pk__in=seen)
            .values_list("pk", flat=True))
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


def branch_path_display(unit: OrganisationUnit, separator: str = " / ") -> str:
    return separator.join(u.name for u in branch_path(unit))


def people_in(unit: OrganisationUnit) -> QuerySet[User]:
    """Users whose organisation is ``unit`` or any unit below it."""
    return User.objects.filter(organisation_id__in=descendant_ids(unit))


def memberships_in(unit: OrganisationUnit) -> QuerySet[Membership]:
    return (Membership.objects.filter(user__organisation_id__in=descendant_ids(unit))
            .select_related("user", "user__organisation"))


def status_history(membership: Membership):
    return membership.status_changes.select_related("recorded_by")
