"""Who is in an audience: the one rule for everything aimed at members by status and unit
(study courses, member forms). A target has ``audience_statuses`` (a list of
``MemberStatus`` values; empty = every status) and ``audience_units`` (a many-to-many of
``OrganisationUnit``; empty = every unit)."""

from __future__ import annotations

from .models import MemberStatus, Membership, OrganisationUnit, User
from .selectors import ancestor_ids


def organisation_path_ids(user: User) -> set[int]:
    """The person's unit and every unit above it (one query, whatever the depth). Kept on the
    user object, which lives for one request: the member area's badges and audience checks
    of one request ask several times."""
    if not user.is_authenticated or user.organisation_id is None:
        return set()
    known = getattr(user, "_organisation_path_ids", None)
    if known is None or known[0] != user.organisation_id:
        known = user._organisation_path_ids = (user.organisation_id, ancestor_ids(user.organisation_id))
    return set(known[1])


def is_in_audience(user: User, target, *, path_ids: set[int] | None = None) -> bool:
    """A person is in an audience when they have a Party record that is not 已转出, their
    status is among the target's statuses (none ticked = all) and their organisation is one
    of the target's units or below one (none chosen = everyone).

    "Below one of the units" is checked upwards — one of the target's units is the person's
    unit or an ancestor of it — so a list of targets costs one query for the person's ancestors,
    not a tree walk per target. Pass ``path_ids`` (``organisation_path_ids``) when checking
    many targets; ``audience_units`` should be prefetched."""
    unit_ids = {unit.pk for unit in target.audience_units.all()}
    return in_audience(user, target.audience_statuses, unit_ids, path_ids=path_ids)


def in_audience(user: User, statuses, unit_ids: set[int], *, path_ids: set[int] | None = None) -> bool:
    """``is_in_audience`` from the audience's statuses and unit ids alone, for a caller that
    read just those (the lesson heartbeat reads no course)."""
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    if membership is None or membership.status == MemberStatus.TRANSFERRED_OUT:
        return False
    if statuses and membership.status not in statuses:
        return False
    if not unit_ids:
        return True
    if path_ids is None:
        path_ids = organisation_path_ids(user)
    return bool(unit_ids & path_ids)


class UnitTree:
    """The whole organisation tree in one query (a few hundred rows at most): the report needs
    the units below many audience units at once, which ``descendant_ids`` would query level by
    level for each."""

    def __init__(self):
        self.children: dict[int | None, list[int]] = {}
        self.order: dict[int, tuple] = {}
        for pk, parent_id, name, sort_order in OrganisationUnit.objects.values_list(
            "pk", "parent_id", "name", "sort_order"
        ):
            self.children.setdefault(parent_id, []).append(pk)
            self.order[pk] = (sort_order, name)

    def below(self, unit_ids) -> set[int]:
        """The units themselves and everything under them (terminates on a cycle too)."""
        found, frontier = set(unit_ids), list(unit_ids)
        while frontier:
            frontier = [child for pk in frontier for child in self.children.get(pk, ()) if child not in found]
            found.update(frontier)
        return found


def audience_test(target, tree: UnitTree):
    """``is_in_audience`` for member records already in memory: (test, units) where ``units``
    is every unit the target reaches (None: everyone)."""
    statuses = set(target.audience_statuses or ())
    chosen = [unit.pk for unit in target.audience_units.all()]  # prefetch it for many targets
    units = tree.below(chosen) if chosen else None

    def test(membership: Membership) -> bool:
        if membership.status == MemberStatus.TRANSFERRED_OUT:
            return False
        if statuses and membership.status not in statuses:
            return False
        return units is None or membership.user.organisation_id in units

    return test, units
