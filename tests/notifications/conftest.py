"""Fixtures of the notice tests: the people, 机关党委 → 机关党总支 → 第一党支部; 机关党委 → 第二党支部.
Personas as in the permission matrix: ``editor`` is the committee office (group 编辑)."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from cms.accounts.models import BranchRole, MemberStatus, OrganisationUnit
from cms.accounts.roles import EDITOR
from cms.notifications import services
from tests.factories import OrganisationUnitFactory, UserFactory
from tests.study.conftest import administrator, client_for, member  # noqa: F401

API = "/api/member/notices/"
MEMBER_API = "/api/member/"


def later(days=7):
    return timezone.now() + dt.timedelta(days=days)


@pytest.fixture
def org(home):
    committee = OrganisationUnitFactory(name="机关党委", kind=OrganisationUnit.Kind.COMMITTEE)
    general = OrganisationUnitFactory(
        name="机关党总支", kind=OrganisationUnit.Kind.GENERAL_BRANCH, parent=committee, sort_order=1
    )
    first = OrganisationUnitFactory(name="第一党支部", parent=general, sort_order=1)
    second = OrganisationUnitFactory(name="第二党支部", parent=committee, sort_order=2)
    return SimpleNamespace(committee=committee, general=general, first=first, second=second)


@pytest.fixture
def people(org):
    return SimpleNamespace(
        recipient=member(org.first, username="reader", last_name="赵", first_name="读者"),
        other_member=member(org.second, username="other", last_name="孙", first_name="其他"),
        secretary=member(
            org.first, MemberStatus.FULL, BranchRole.SECRETARY, username="sec1", last_name="钱", first_name="书记"
        ),
        other_secretary=member(org.second, MemberStatus.FULL, BranchRole.SECRETARY, username="sec2"),
        editor=UserFactory(username="office", last_name="李", first_name="编辑", groups=[EDITOR]),
        admin=administrator(username="admin1"),
    )


@pytest.fixture
def draft(people, org):
    """draft(user, **fields): a draft through the service, as the admin form saves it."""

    def make(user=None, **fields):
        values = {
            "title": "关于召开专题组织生活会的通知",
            "body": "请各位党员准时参加。",
            "kind": "meeting",
            "sender_unit": org.committee,
            "audience_units": [org.first],
            "audience_statuses": [],
            "requires_confirmation": False,
            "requires_reply": False,
            "deadline": None,
        }
        values.update(fields)
        return services.save_draft(user or people.admin, None, **values)

    return make


@pytest.fixture
def sent(draft, people):
    """sent(user, **fields): a draft, sent by the same person."""

    def make(user=None, **fields):
        user = user or people.admin
        notice = draft(user, **fields)
        services.send(user, notice)
        notice.refresh_from_db()
        return notice

    return make
