"""The 支部书记 group follows the member record wherever it is written, and a secretary's scope
is their own unit and everything below it."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from cms.accounts import services
from cms.accounts.models import BranchRole, MemberStatus, Membership, OrganisationUnit
from cms.accounts.roles import ADMINISTRATOR, EDITOR, SECRETARY
from cms.accounts.selectors import scope_of
from cms.bootstrap.roles import setup_roles
from tests.factories import MembershipFactory, OrganisationUnitFactory, UserFactory

Kind = OrganisationUnit.Kind


def in_group(user) -> bool:
    return user.groups.filter(name=SECRETARY).exists()


@pytest.fixture
def branch(home):
    return OrganisationUnitFactory(name="第一党支部")


def test_setup_roles_creates_the_secretary_group_idempotently(home):
    setup_roles()
    setup_roles()
    group = Group.objects.get(name=SECRETARY)
    perms = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert perms == {
        "wagtailadmin.access_admin",
        "study.view_branch_progress",
        "feedback.view_form_results",
        "accounts.view_membership",
        "accounts.change_membership",
        "assessment.view_branch_assessment",
    }  # 测评统计 (cms/assessment/roles.py)
    assert Group.objects.filter(name=SECRETARY).count() == 1
    assert UserFactory(groups=[ADMINISTRATOR]).has_perm("study.view_branch_progress")
    assert not UserFactory(groups=[EDITOR]).has_perm("study.view_branch_progress")
    assert UserFactory(groups=[ADMINISTRATOR]).has_perm("feedback.view_form_results")
    assert not UserFactory(groups=[EDITOR]).has_perm("feedback.view_form_results")


def test_group_follows_the_role_on_every_save(branch):
    user = UserFactory(organisation=branch)
    membership = MembershipFactory(user=user, status=MemberStatus.FULL, role=BranchRole.SECRETARY)
    assert in_group(user)
    assert user.has_perm("study.view_branch_progress")
    membership.role = BranchRole.ORGANISATION
    membership.save()
    assert not in_group(user)
    membership.role = BranchRole.SECRETARY
    membership.save()
    assert in_group(user)


def test_transfer_out_and_deletion_remove_the_group(branch):
    user = UserFactory(organisation=branch)
    membership = MembershipFactory(user=user, status=MemberStatus.FULL, role=BranchRole.SECRETARY)
    services.change_status(membership, MemberStatus.TRANSFERRED_OUT, on=datetime.date(2025, 3, 1), by=None)
    assert not in_group(user)
    other = UserFactory(organisation=branch)
    MembershipFactory(user=other, status=MemberStatus.FULL, role=BranchRole.SECRETARY).delete()
    assert not in_group(other)
    # Deleting the person altogether (the record goes with them) must not trip over the group.
    third = UserFactory(organisation=branch)
    MembershipFactory(user=third, status=MemberStatus.FULL, role=BranchRole.SECRETARY)
    third.delete()
    assert not Group.objects.get(name=SECRETARY).user_set.exists()


def test_import_appoints_and_relieves_secretaries(branch):
    roster = (
        "姓名,工号,支部,身份,角色\n赵书记,1001,第一党支部,正式党员,支部书记\n钱学员,1002,第一党支部,正式党员,党员\n"
    )
    report = services.import_people(SimpleUploadedFile("名单.csv", roster.encode()), dry_run=False, by=None)
    assert report.ok, report.errors
    secretary = Membership.objects.get(user__username="1001").user
    assert in_group(secretary)
    assert not in_group(Membership.objects.get(user__username="1002").user)
    roster = "姓名,工号,支部,身份,角色\n赵书记,1001,第一党支部,正式党员,党员\n"
    services.import_people(SimpleUploadedFile("名单.csv", roster.encode()), dry_run=False, by=None)
    assert not in_group(secretary)


def test_setup_roles_repairs_the_group(branch):
    secretary = UserFactory(organisation=branch)
    MembershipFactory(user=secretary, status=MemberStatus.FULL)
    Membership.objects.filter(user=secretary).update(role=BranchRole.SECRETARY)  # skips signals
    impostor = UserFactory(organisation=branch)
    impostor.groups.add(Group.objects.get(name=SECRETARY))
    assert not in_group(secretary)
    setup_roles()
    assert in_group(secretary)
    assert not in_group(impostor)


def test_scope_is_own_unit_and_below(home):
    committee = OrganisationUnitFactory(name="集团党委", kind=Kind.COMMITTEE)
    general = OrganisationUnitFactory(name="机关党总支", kind=Kind.GENERAL_BRANCH, parent=committee)
    third = OrganisationUnitFactory(name="第三党支部", parent=general)
    first = OrganisationUnitFactory(name="第一党支部", parent=committee)

    def secretary_of(unit, **fields):
        user = UserFactory(organisation=unit)
        MembershipFactory(user=user, status=MemberStatus.FULL, role=BranchRole.SECRETARY, **fields)
        return user

    assert scope_of(secretary_of(general)).unit_ids == {general.pk, third.pk}
    assert scope_of(secretary_of(general)).label == "机关党总支及其下级组织"
    assert scope_of(secretary_of(first)).unit_ids == {first.pk}
    assert scope_of(secretary_of(first)).label == "第一党支部"
    assert scope_of(secretary_of(first, joined_party_on=None)).covers(first.pk)
    assert not scope_of(secretary_of(first)).covers(third.pk)
    assert scope_of(UserFactory(groups=[ADMINISTRATOR])).everything
    assert scope_of(UserFactory(is_superuser=True)).everything
    member = UserFactory(organisation=first)
    MembershipFactory(user=member, status=MemberStatus.FULL, role=BranchRole.ORGANISATION)
    assert scope_of(member).is_empty
    assert scope_of(UserFactory(groups=[EDITOR])).is_empty
    assert scope_of(secretary_of(None)).is_empty  # a secretary with no unit looks after no one
