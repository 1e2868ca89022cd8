"""A small organisation (党委 → 党总支 → 党支部, plus a sibling branch) and the people the
study tests act as."""
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from cms.accounts.models import BranchRole, MemberStatus, OrganisationUnit
from cms.accounts.roles import ADMINISTRATOR
from tests.factories import MembershipFactory, OrganisationUnitFactory, UserFactory

API = "/api/member/"


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
