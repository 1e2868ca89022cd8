"""The people of the consultation tests: 机关党委 (the committee office's unit) → 第一党支部,
第二党支部. Personas as in the permission matrix."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cms.accounts.models import BranchRole, MemberStatus, OrganisationUnit
from cms.accounts.roles import ANSWERER
from cms.consultations import services
from tests.factories import OrganisationUnitFactory, UserFactory
from tests.study.conftest import administrator, client_for, member  # noqa: F401

API = "/api/member/consultations/"
MEMBER_API = "/api/member/"
PDF = b"%PDF-1.4 consultation attachment"


def pdf(name="材料.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def at(text: str) -> dt.datetime:
    """A Shanghai local time, e.g. at("2026-11-27 15:00") (a Friday)."""
    return timezone.make_aware(dt.datetime.fromisoformat(text), timezone.get_current_timezone())


@pytest.fixture
def org(home):
    committee = OrganisationUnitFactory(name="机关党委", kind=OrganisationUnit.Kind.COMMITTEE)
    first = OrganisationUnitFactory(name="第一党支部", parent=committee, sort_order=1)
    second = OrganisationUnitFactory(name="第二党支部", parent=committee, sort_order=2)
    return SimpleNamespace(committee=committee, first=first, second=second)


@pytest.fixture
def people(org):
    return SimpleNamespace(
        asker=member(org.first, username="asker", last_name="赵", first_name="提问"),
        other_member=member(org.first, username="other"),
        other_secretary=member(org.second, MemberStatus.FULL, BranchRole.SECRETARY, username="sec2"),
        secretary=member(
            org.first, MemberStatus.FULL, BranchRole.SECRETARY, username="sec1", last_name="钱", first_name="书记"
        ),
        organiser=member(org.first, MemberStatus.FULL, BranchRole.ORGANISATION, username="org1"),
        answerer=UserFactory(username="office", last_name="孙", first_name="答复", groups=[ANSWERER]),
        admin=administrator(username="admin1"),
    )


@pytest.fixture
def ask(people):
    def make(user=None, **fields):
        values = {"kind": "question", "addressee": "branch", "subject": "组织关系转接", "text": "请问如何转接？"}
        values.update(fields)
        return services.ask(user or people.asker, **values)

    return make
