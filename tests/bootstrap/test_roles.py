import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.models import GroupPagePermission, Workflow

from cms.accounts.roles import ADMINISTRATOR, EDITOR, REVIEWER
from cms.bootstrap.roles import setup_roles
from tests.access import assert_refused_in_admin
from tests.factories import PASSWORD, OrganisationUnitFactory, SectionPageFactory, UserFactory


def test_setup_roles_is_idempotent(home):
    setup_roles()
    counts = (Group.objects.count(), GroupPagePermission.objects.count(), Workflow.objects.count())
    setup_roles()
    assert (Group.objects.count(), GroupPagePermission.objects.count(), Workflow.objects.count()) == counts
    workflow = Workflow.objects.get(name="审核发布")
    assert [task.name for task in workflow.tasks] == ["审核"]
    assert {EDITOR, REVIEWER, ADMINISTRATOR} <= set(Group.objects.values_list("name", flat=True))


def test_role_permissions_on_pages(home):
    section = SectionPageFactory(parent=home, slug="news")
    editor = UserFactory(groups=[EDITOR])
    reviewer = UserFactory(groups=[REVIEWER])
    admin = UserFactory(groups=[ADMINISTRATOR])
    assert section.permissions_for_user(editor).can_add_subpage()
    assert not section.permissions_for_user(editor).can_publish()
    assert section.permissions_for_user(reviewer).can_publish()
    assert section.permissions_for_user(admin).can_publish()
    assert admin.has_perm("core.change_sitesettings")
    assert not editor.has_perm("core.change_sitesettings")
    assert not reviewer.has_perm("core.change_sitesettings")


@pytest.fixture
def branches(home):
    first = OrganisationUnitFactory(name="第一党支部")
    second = OrganisationUnitFactory(name="第二党支部")
    own = SectionPageFactory(parent=home, slug="branch-1", title="第一党支部", organisation=first)
    other = SectionPageFactory(parent=home, slug="branch-2", title="第二党支部", organisation=second)
    setup_roles()
    secretary = UserFactory(username="secretary", groups=["编辑·第一党支部"])
    return own, other, secretary


def test_branch_editor_is_scoped_to_own_section(branches):
    own, other, secretary = branches
    assert own.permissions_for_user(secretary).can_add_subpage()
    assert own.permissions_for_user(secretary).can_edit()
    assert not own.permissions_for_user(secretary).can_publish()
    assert not other.permissions_for_user(secretary).can_add_subpage()
    assert not other.permissions_for_user(secretary).can_edit()
    assert not own.get_parent().permissions_for_user(secretary).can_add_subpage()


def test_branch_editor_is_refused_in_other_sections_admin(client, branches):
    own, other, _ = branches
    client.login(username="secretary", password=PASSWORD)
    own_add = client.get(reverse("wagtailadmin_pages:add", args=("openness", "newspage", own.pk)))
    other_add = client.get(reverse("wagtailadmin_pages:add", args=("openness", "newspage", other.pk)))
    other_edit = client.get(reverse("wagtailadmin_pages:edit", args=(other.pk,)))
    assert own_add.status_code == 200
    assert_refused_in_admin(other_add)
    assert_refused_in_admin(other_edit)
