"""审计日志 in the admin: 管理员 only, search, pages, and an Excel export that is
formula-safe and itself audited."""

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from cms.accounts.models import BranchRole, MemberStatus
from cms.accounts.roles import ADMINISTRATOR, EDITOR, REVIEWER
from cms.audit import services
from cms.audit.models import Action, AuditEntry
from tests.access import assert_refused_in_admin, assert_sent_to_admin_log_in
from tests.audit.conftest import only_entry, start_here
from tests.factories import MembershipFactory, OrganisationUnitFactory, UserFactory
from tests.html import table_rows

LIST = "/admin/audit/"
EXPORT = "/admin/audit/export/"
HOSTILE = '=HYPERLINK("http://evil.example/","赵")'


@pytest.fixture
def people(home):
    branch = OrganisationUnitFactory(name="第一党支部")
    secretary = UserFactory(username="secretary", organisation=branch)
    MembershipFactory(user=secretary, status=MemberStatus.FULL, role=BranchRole.SECRETARY)
    member = UserFactory(username="member", organisation=branch)
    MembershipFactory(user=member, status=MemberStatus.FULL)
    return {
        "admin": UserFactory(username="admin1", groups=[ADMINISTRATOR]),
        "superuser": UserFactory(username="root", is_superuser=True),
        "editor": UserFactory(username="editor", groups=[EDITOR]),
        "reviewer": UserFactory(username="reviewer", groups=[REVIEWER]),
        "secretary": secretary,
        "member": member,
    }


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        (None, False),
        ("member", False),
        ("editor", False),
        ("reviewer", False),
        ("secretary", False),
        ("admin", True),
        ("superuser", True),
    ],
)
def test_only_administrators_see_and_export_the_log(people, persona, allowed):
    client = client_for(people[persona] if persona else None)
    before = AuditEntry.objects.filter(action=Action.AUDIT_EXPORTED).count()
    listing, export = client.get(LIST), client.get(EXPORT)
    if allowed:
        assert listing.status_code == 200 and export.status_code == 200
        assert '"url": "/admin/audit/"' in client.get(reverse("wagtailadmin_home")).content.decode()
        return
    for url, response in ((LIST, listing), (EXPORT, export)):
        if persona in (None, "member"):  # no admin access at all
            assert_sent_to_admin_log_in(response, url)
        else:
            assert_refused_in_admin(response)
        assert not response.get("Content-Type", "").startswith("application/vnd.openxml")
        assert "审计日志" not in response.content.decode()
    assert AuditEntry.objects.filter(action=Action.AUDIT_EXPORTED).count() == before  # nothing exported
    if persona:
        assert '"url": "/admin/audit/"' not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_search_by_person_action_and_pages_of_fifty(people):
    start_here()
    for n in range(60):
        services.record(Action.LOGIN_FAILED, object_repr=f"guess{n}", details={"username": f"guess{n}"})
    services.record(Action.LOGIN, actor=people["member"], object_repr="member")
    client = client_for(people["admin"])
    rows = table_rows(client.get(LIST, {"person": "member", "action": Action.LOGIN}))
    assert [row[3] for row in rows] == ["登录成功"] and rows[0][2] == "member"
    first = table_rows(client.get(LIST, {"action": Action.LOGIN_FAILED}))
    assert first[0][-1] == "尝试的用户名：guess59"  # details read as text, not JSON
    second = table_rows(client.get(LIST, {"action": Action.LOGIN_FAILED, "p": 2}))
    assert (len(first), len(second)) == (50, 10)
    assert first[0][4] == "guess59" and second[-1][4] == "guess0"  # newest first
    page = client.get(LIST, {"date_from": "2026-12-02", "date_to": "2026-12-01"}).content.decode()
    assert "起始日期不能晚于截止日期。" in page


def test_the_page_says_what_is_recorded(people):
    page = client_for(people["admin"]).get(LIST).content.decode()
    for recorded in ("登录失败与锁定", "党员档案变更", "咨询和建议", "通知公告", "推送渠道"):
        assert recorded in page


def test_export_is_the_filtered_log_formula_safe_and_audited(people):
    services.record(Action.LOGIN_FAILED, object_repr=HOSTILE, details={"username": HOSTILE})
    services.record(Action.LOGIN, actor=people["member"])
    client = Client(HTTP_USER_AGENT="+cmd|' /C calc'!A0")
    client.force_login(people["admin"])
    response = client.get(EXPORT, {"action": Action.LOGIN_FAILED})
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("序号", "时间", "操作人 ID", "操作人", "操作代码", "操作")
    assert [row[4] for row in rows[1:]] == ["auth.login_failed"]  # only what the search found
    assert rows[1][8] == "'" + HOSTILE  # text, never a live formula
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    entry = only_entry(Action.AUDIT_EXPORTED)
    assert entry.actor_username == "admin1" and entry.ip_address == "127.0.0.1"
    assert entry.details == {"filters": {"action": "auth.login_failed"}, "rows": 1}
    # The next export lists the previous one, with the hostile browser string as text.
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(EXPORT, {"action": Action.AUDIT_EXPORTED}).content)).active
    assert list(sheet.iter_rows(values_only=True))[1][10] == "'+cmd|' /C calc'!A0"


def test_no_audit_no_export(people, audit_down):
    from django.contrib.messages import get_messages

    response = client_for(people["admin"]).get(EXPORT, {"action": Action.LOGIN})
    assert response.status_code == 302 and response.url == f"{LIST}?action=auth.login"
    assert not response.content
    assert any("本次导出已取消" in str(m) for m in get_messages(response.wsgi_request))
