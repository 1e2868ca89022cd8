import pytest
from django.core.exceptions import ValidationError

from cms.accounts.models import OrganisationUnit
from cms.accounts.selectors import branch_path, descendants, people_in
from tests.factories import OrganisationUnitFactory, UserFactory

Kind = OrganisationUnit.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    group = OrganisationUnitFactory(name="集团党委", kind=Kind.COMMITTEE)
    company = OrganisationUnitFactory(name="分公司党委", kind=Kind.COMMITTEE, parent=group)
    office = OrganisationUnitFactory(name="机关党总支", kind=Kind.GENERAL_BRANCH, parent=company)
    first = OrganisationUnitFactory(name="第一党支部", parent=office)
    second = OrganisationUnitFactory(name="第二党支部", parent=company)
    other = OrganisationUnitFactory(name="其他党委", kind=Kind.COMMITTEE)
    return {u.name: u for u in (group, company, office, first, second, other)}


def test_descendants_include_itself_and_every_level(tree, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        names = set(descendants(tree["集团党委"]).values_list("name", flat=True))
    assert names == {"集团党委", "分公司党委", "机关党总支", "第一党支部", "第二党支部"}
    assert set(descendants(tree["第一党支部"]).values_list("name", flat=True)) == {"第一党支部"}


def test_branch_path_runs_from_the_top(tree):
    assert [u.name for u in branch_path(tree["第一党支部"])] == ["集团党委", "分公司党委", "机关党总支", "第一党支部"]
    assert branch_path(tree["集团党委"]) == [tree["集团党委"]]


def test_people_in_a_committee_include_its_branches(tree):
    inside = UserFactory(organisation=tree["第一党支部"])
    UserFactory(organisation=tree["其他党委"])
    assert list(people_in(tree["集团党委"])) == [inside]


def test_a_unit_cannot_sit_under_its_own_descendant(tree):
    office = tree["机关党总支"]
    office.parent = tree["机关党总支"]
    with pytest.raises(ValidationError, match="上级组织不能是自身"):
        office.full_clean()
    company = tree["分公司党委"]
    company.parent = office
    with pytest.raises(ValidationError):
        company.full_clean()


def test_a_branch_cannot_have_children(tree):
    unit = OrganisationUnit(name="第一党小组", kind=Kind.BRANCH, parent=tree["第一党支部"])
    with pytest.raises(ValidationError, match="党支部下不能再设下级组织"):
        unit.full_clean()


def test_a_unit_with_children_cannot_become_a_branch(tree):
    office = tree["机关党总支"]
    office.kind = Kind.BRANCH
    with pytest.raises(ValidationError, match="不能设为党支部"):
        office.full_clean()


def test_a_committee_is_a_root_or_under_another_committee(tree):
    OrganisationUnit(name="新党委", kind=Kind.COMMITTEE).full_clean()
    OrganisationUnit(name="子公司党委", kind=Kind.COMMITTEE, parent=tree["集团党委"]).full_clean()
    with pytest.raises(ValidationError, match="党委只能作为最高一级组织"):
        OrganisationUnit(name="错误党委", kind=Kind.COMMITTEE, parent=tree["机关党总支"]).full_clean()


def test_general_branches_nest_at_any_depth(tree):
    deeper = OrganisationUnitFactory(name="车间党总支", kind=Kind.GENERAL_BRANCH, parent=tree["机关党总支"])
    branch = OrganisationUnit(name="车间第一党支部", kind=Kind.BRANCH, parent=deeper)
    branch.full_clean()
    branch.save()
    assert [u.name for u in branch_path(branch)][-3:] == ["机关党总支", "车间党总支", "车间第一党支部"]
    assert branch in descendants(tree["集团党委"])
