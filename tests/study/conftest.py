"""A small organisation (党委 → 党总支 → 党支部, plus a sibling branch) and the people the
study tests act as."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cms.accounts.models import BranchRole, MemberStatus, OrganisationUnit
from cms.accounts.roles import ADMINISTRATOR
from cms.study import services
from tests.factories import MembershipFactory, OrganisationUnitFactory, UserFactory

API = "/api/member/"
Kind = OrganisationUnit.Kind


@pytest.fixture
def org(db):
    committee = OrganisationUnitFactory(name="机关党委", kind=OrganisationUnit.Kind.COMMITTEE)
    general = OrganisationUnitFactory(name="机关党总支", kind=OrganisationUnit.Kind.GENERAL_BRANCH, parent=committee)
    first = OrganisationUnitFactory(name="第一党支部", parent=general)
    second = OrganisationUnitFactory(name="第二党支部", parent=committee)
    return SimpleNamespace(committee=committee, general=general, first=first, second=second)


def member(unit, status=MemberStatus.FULL, role=BranchRole.MEMBER, **user_fields):
    """A person with a Party record in ``unit``."""
    fields = {f"user__{name}": value for name, value in user_fields.items()}
    return MembershipFactory(user__organisation=unit, status=status, role=role, **fields).user


def administrator(**fields):
    """A 管理员 (group from setup_roles: use the ``home`` fixture), without a Party record."""
    return UserFactory(groups=[ADMINISTRATOR], **fields)


def client_for(user=None, *, enforce_csrf=False) -> APIClient:
    client = APIClient(enforce_csrf_checks=enforce_csrf)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def units(home):
    """某某集团党委 → 第一党支部, 第二党支部, 机关党总支 → 第三党支部."""
    committee = OrganisationUnitFactory(name="某某集团党委", kind=Kind.COMMITTEE)
    units = {"committee": committee}
    for order, name in enumerate(["第一党支部", "第二党支部"], start=1):
        units[name] = OrganisationUnitFactory(name=name, parent=committee, sort_order=order)
    units["机关党总支"] = OrganisationUnitFactory(
        name="机关党总支", kind=Kind.GENERAL_BRANCH, parent=committee, sort_order=3
    )
    units["第三党支部"] = OrganisationUnitFactory(name="第三党支部", parent=units["机关党总支"])
    return units


@pytest.fixture
def person(units):
    """person("钱学员", "第一党支部", status=..., role=...) → the User, with a Party record."""

    def make(name, unit, *, status=MemberStatus.FULL, role=BranchRole.MEMBER, username=None, **user_fields):
        user = UserFactory(
            username=username or f"u-{name}",
            last_name=name[0],
            first_name=name[1:],
            organisation=units[unit] if unit else None,
            **user_fields,
        )
        MembershipFactory(user=user, status=status, role=role)
        return user

    return make


def study(user, lesson, *, seconds=60, complete=False, start=None):
    """What the member page does: open, report visible time in ≤120 s steps, maybe complete."""
    moment = start or timezone.now() - datetime.timedelta(hours=3)
    services.open_lesson(user, lesson, now=moment)
    left = seconds
    while left > 0:
        step = min(services.MAX_REPORT_SECONDS, left)
        moment += datetime.timedelta(seconds=step)
        services.record_study_time(user, lesson.pk, step, now=moment)
        left -= step
    if complete:
        services.complete_lesson(user, lesson, now=moment)
    return moment
