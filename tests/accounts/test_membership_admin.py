"""党员档案 in the admin: 管理员 manage everyone, a 支部书记 only the people of their own units,
and the 身份 changes only through change_status, whose refusals people read on the form."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cms.accounts.models import BranchRole, MemberStatus, Membership, OrganisationUnit, User
from cms.accounts.roles import ADMINISTRATOR, EDITOR, SECRETARY
from cms.accounts.services import change_status
from tests.access import assert_refused_in_admin, assert_sent_to_admin_log_in
from tests.factories import PASSWORD, MembershipFactory, OrganisationUnitFactory, UserFactory
from tests.html import error_texts, rows_by_first_cell, soup, table_rows

S = MemberStatus
D = datetime.date
LIST = "/admin/accounts/members/"


@pytest.fixture
def org(home):
    committee = OrganisationUnitFactory(name="集团党委", kind=OrganisationUnit.Kind.COMMITTEE)
    return {
        name: OrganisationUnitFactory(name=name, parent=committee, sort_order=n)
        for n, name in enumerate(["第一党支部", "第二党支部", "第三党支部"], start=1)
    } | {"committee": committee}


@pytest.fixture
def people(org):
    def make(username, name, unit, status=S.FULL, role=BranchRole.MEMBER, **fields):
        user = UserFactory(username=username, last_name=name[0], first_name=name[1:], organisation=org[unit])
        MembershipFactory(user=user, status=status, role=role, **fields)
        return user

    return {
        "secretary": make("1001", "赵书记", "第一党支部", role=BranchRole.SECRETARY),
        "member": make("1002", "钱学员", "第一党支部", joined_party_on=D(2015, 7, 1)),
        "applicant": make("1003", "孙申请", "第一党支部", status=S.APPLICANT),
        "outsider": make("2001", "周党员", "第二党支部", status=S.PROBATIONARY),
    }


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def member_url(user, suffix=""):
    return reverse("accounts_member", args=[user.membership.pk]) + suffix


@pytest.fixture
def admin(home):
    return UserFactory(username="admin1", last_name="张", first_name="管理", groups=[ADMINISTRATOR])


def test_administrator_lists_everyone_and_filters(client, admin, people, org):
    login(client, admin)
    assert f'"url": "{LIST}"' in client.get(reverse("wagtailadmin_home")).content.decode()
    rows = rows_by_first_cell(client.get(LIST))
    assert set(rows) == {"赵书记", "钱学员", "孙申请", "周党员"}
    assert rows["钱学员"] == {
        "姓名": "钱学员",
        "工号": "1002",
        "所在组织": "第一党支部",
        "身份": "正式党员",
        "支部职务": "党员",
        "入党时间": "2015年7月1日",
    }
    assert rows["赵书记"]["支部职务"] == "支部书记"
    assert set(rows_by_first_cell(client.get(LIST, {"unit": org["第二党支部"].pk}))) == {"周党员"}
    assert set(rows_by_first_cell(client.get(LIST, {"unit": org["committee"].pk}))) == set(rows)  # and below
    assert set(rows_by_first_cell(client.get(LIST, {"status": S.APPLICANT}))) == {"孙申请"}
    assert set(rows_by_first_cell(client.get(LIST, {"q": "钱学"}))) == {"钱学员"}
    assert set(rows_by_first_cell(client.get(LIST, {"q": "200"}))) == {"周党员"}
    response = client.get(LIST, {"q": "不存在的人"})
    assert table_rows(response) == [["没有符合条件的人员。"]]
    assert "查找结果：共 0 人" in response.content.decode()


def test_secretary_sees_only_their_branch(client, people, org):
    login(client, people["secretary"])
    response = client.get(LIST)
    assert set(rows_by_first_cell(response)) == {"赵书记", "钱学员", "孙申请"}
    assert "周党员" not in response.content.decode()
    options = [o.get_text() for o in soup(response).select("select[name=unit] option")]
    assert options == ["全部组织", "第一党支部"]
    assert rows_by_first_cell(client.get(LIST, {"q": "周党员"})) == {}
    response = client.get(LIST, {"unit": org["第二党支部"].pk})  # a unit from elsewhere, by hand
    assert "周党员" not in response.content.decode()
    assert "选择一个有效的选项" in " ".join(error_texts(response))


def test_secretary_cannot_open_or_change_an_outsider(client, people):
    outsider = people["outsider"]
    login(client, people["secretary"])
    for suffix in ("", "edit/", "status/"):
        assert client.get(member_url(outsider, suffix)).status_code == 404
    client.post(member_url(outsider, "edit/"), {"organisation": "", "role": BranchRole.MEMBER})
    client.post(member_url(outsider, "status/"), {"to_status": S.FULL, "changed_on": "2025-01-01"})
    outsider.membership.refresh_from_db()
    assert outsider.membership.status == S.PROBATIONARY
    assert not outsider.membership.status_changes.exists()


def test_record_shows_the_dated_status_history(client, admin, people):
    applicant = people["applicant"]
    change_status(applicant.membership, S.ACTIVIST, on=D(2024, 3, 1), by=people["secretary"], note="支部委员会研究确定")
    change_status(applicant.membership, S.CANDIDATE, on=D(2025, 3, 1), by=admin)
    login(client, people["secretary"])
    response = client.get(member_url(applicant))
    text = response.content.decode()
    assert "入党积极分子" in text and "1003" in text
    history = table_rows(response)
    assert [row[:4] for row in history] == [
        ["2024年3月1日", "入党申请人 → 入党积极分子", "支部委员会研究确定", "赵书记"],
        ["2025年3月1日", "入党积极分子 → 发展对象", "—", "张管理"],
    ]
    assert "编辑档案" in text and "变更身份" in text


def test_change_status_through_the_form(client, people):
    applicant = people["applicant"]
    login(client, people["secretary"])
    form = soup(client.get(member_url(applicant, "status/")))
    offered = {radio["value"] for radio in form.select("input[name=to_status]")}
    assert offered == {S.ACTIVIST, S.TRANSFERRED_OUT}
    response = client.post(
        member_url(applicant, "status/"),
        {"to_status": S.ACTIVIST, "changed_on": "2025-06-01", "note": "支部委员会研究确定"},
        follow=True,
    )
    assert "孙申请的身份已变更为「入党积极分子」。" in response.content.decode()
    change = applicant.membership.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_on, change.recorded_by) == (
        S.APPLICANT,
        S.ACTIVIST,
        D(2025, 6, 1),
        people["secretary"],
    )


@pytest.mark.parametrize(
    "posted, refusal",
    [
        (
            {"to_status": S.PROBATIONARY, "changed_on": "2025-06-01"},
            "不能从「入党申请人」变更为「预备党员」：下一步只能是「入党积极分子」或转出。",
        ),
        (
            {"to_status": S.ACTIVIST, "changed_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()},
            "变更日期不能晚于今天。",
        ),
        ({"to_status": S.APPLICANT, "changed_on": "2025-06-01"}, "该人员已经是「入党申请人」，无需变更。"),
        ({"to_status": S.ACTIVIST, "changed_on": ""}, "必需字段"),
    ],
)
def test_change_status_refusals_are_shown_on_the_form(client, people, posted, refusal):
    applicant = people["applicant"]
    login(client, people["secretary"])
    response = client.post(member_url(applicant, "status/"), posted)
    assert response.status_code == 200
    assert refusal in error_texts(response)
    applicant.membership.refresh_from_db()
    assert applicant.membership.status == S.APPLICANT and not applicant.membership.status_changes.exists()


def test_change_status_cannot_go_before_the_last_change(client, admin, people):
    member = people["applicant"]
    change_status(member.membership, S.ACTIVIST, on=D(2025, 5, 1), by=admin)
    login(client, admin)
    response = client.post(member_url(member, "status/"), {"to_status": S.CANDIDATE, "changed_on": "2025-04-01"})
    assert "变更日期不能早于上一次变更的日期（2025年05月01日）。" in error_texts(response)


def test_transferred_out_people_cannot_change_any_more(client, admin, people):
    member = people["member"]
    change_status(member.membership, S.TRANSFERRED_OUT, on=D(2025, 5, 1), by=admin)
    login(client, admin)
    assert "变更身份" not in soup(client.get(member_url(member))).select_one(".dj-actions").get_text()
    assert "该人员已转出，不能再变更身份。" in client.get(member_url(member, "status/")).content.decode()
    response = client.post(member_url(member, "status/"), {"to_status": S.FULL, "changed_on": "2025-06-01"})
    assert "该人员已转出，不能再变更身份。" in response.content.decode()
    member.membership.refresh_from_db()
    assert member.membership.status == S.TRANSFERRED_OUT and member.membership.status_changes.count() == 1


def test_administrator_edits_role_joined_date_and_branch(client, admin, people, org):
    member = people["member"]
    login(client, admin)
    form = soup(client.get(member_url(member, "edit/")))
    options = [o.get_text() for o in form.select("select[name=organisation] option")]
    assert options == ["（未编入支部）", "第一党支部", "第二党支部", "第三党支部"]  # branches only, not the 党委
    response = client.post(
        member_url(member, "edit/"),
        {"organisation": org["第二党支部"].pk, "role": BranchRole.SECRETARY, "joined_party_on": "2016-07-01"},
        follow=True,
    )
    assert "已保存钱学员的档案。" in response.content.decode()
    member.refresh_from_db()
    member.membership.refresh_from_db()
    assert member.organisation == org["第二党支部"]
    assert (member.membership.role, member.membership.joined_party_on) == (BranchRole.SECRETARY, D(2016, 7, 1))
    assert member.membership.status == S.FULL  # untouched
    # Appointed secretary of 第二党支部: the group follows, and so does the report of that branch.
    assert member.groups.filter(name=SECRETARY).exists()
    client.logout()
    login(client, member)
    assert set(rows_by_first_cell(client.get(LIST))) == {"钱学员", "周党员"}


def test_edit_keeps_the_data_rules(client, admin, people):
    login(client, admin)
    applicant = people["applicant"]
    response = client.post(
        member_url(applicant, "edit/"),
        {"organisation": applicant.organisation_id, "role": BranchRole.MEMBER, "joined_party_on": "2020-07-01"},
    )
    assert "身份为「入党申请人」时不应填写入党时间。" in error_texts(response)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        member_url(people["member"], "edit/"),
        {"organisation": people["member"].organisation_id, "role": BranchRole.MEMBER, "joined_party_on": tomorrow},
    )
    assert "入党时间不能晚于今天。" in error_texts(response)
    assert Membership.objects.get(user=people["member"]).joined_party_on == D(2015, 7, 1)


def test_secretary_edits_within_their_branch_but_cannot_appoint_secretaries(client, people, org):
    member = people["member"]
    login(client, people["secretary"])
    form = soup(client.get(member_url(member, "edit/")))
    assert [o.get_text() for o in form.select("select[name=organisation] option")] == ["第一党支部"]
    response = client.post(
        member_url(member, "edit/"),
        {"organisation": org["第一党支部"].pk, "role": BranchRole.SECRETARY, "joined_party_on": "2015-07-01"},
    )
    assert "只有管理员可以任免支部书记。" in error_texts(response)
    response = client.post(
        member_url(member, "edit/"),
        {"organisation": org["第二党支部"].pk, "role": BranchRole.ORGANISATION, "joined_party_on": "2015-07-01"},
    )
    assert any("选择一个有效的选项" in error for error in error_texts(response))
    assert User.objects.get(pk=member.pk).organisation == org["第一党支部"]
    response = client.post(
        member_url(member, "edit/"),
        {"organisation": org["第一党支部"].pk, "role": BranchRole.ORGANISATION, "joined_party_on": "2015-07-01"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=member).role == BranchRole.ORGANISATION
    # Nor can they relieve themselves (or another secretary) of the role.
    response = client.post(
        member_url(people["secretary"], "edit/"),
        {"organisation": org["第一党支部"].pk, "role": BranchRole.MEMBER, "joined_party_on": ""},
    )
    assert "只有管理员可以任免支部书记。" in error_texts(response)


def test_editors_and_members_have_no_membership_admin(client, people):
    login(client, UserFactory(groups=[EDITOR]))
    assert f'"url": "{LIST}"' not in client.get(reverse("wagtailadmin_home")).content.decode()
    for url in (LIST, member_url(people["member"]), member_url(people["member"], "edit/")):
        response = client.get(url)
        assert_refused_in_admin(response)
        assert "钱学员" not in response.content.decode()
    client.logout()
    login(client, people["member"])  # a plain member: no admin at all
    assert_sent_to_admin_log_in(client.get(LIST), LIST)
