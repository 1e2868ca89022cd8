"""The admin as the office and a secretary use it: draft, confirmation with the recipient
count, send, receipts by unit, remind, export; hostile text stays text, the workbook has
no formulas."""

import io

import openpyxl
import pytest
from bs4 import BeautifulSoup

from cms.notifications import selectors, services
from cms.notifications.models import Notice, NoticeRecipient
from tests.hostile import PAYLOADS, marker, storable, unsafe_markup

from .conftest import client_for, later, member

HTML_PAYLOADS = [storable(p) for p in PAYLOADS if "<" in p]


def test_the_office_drafts_previews_and_sends(people, org):
    client = client_for(people.editor)
    response = client.post(
        "/admin/notices/new/",
        {
            "title": "关于召开专题组织生活会的通知",
            "kind": "meeting",
            "body": "时间：周五下午三点\n地点：三楼会议室",
            "sender_unit": org.committee.pk,
            "audience_units": [org.general.pk],
            "requires_reply": "on",
            "deadline": "",
        },
    )
    assert response.status_code == 400
    assert "需要回执的通知须设置截止时间。" in response.content.decode()

    deadline = later().astimezone().strftime("%Y-%m-%d %H:%M")
    response = client.post(
        "/admin/notices/new/",
        {
            "title": "关于召开专题组织生活会的通知",
            "kind": "meeting",
            "body": "时间：周五下午三点\n地点：三楼会议室",
            "sender_unit": org.committee.pk,
            "audience_units": [org.general.pk],
            "requires_reply": "on",
            "deadline": deadline,
        },
    )
    notice = Notice.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/notices/{notice.pk}/send/"
    preview = BeautifulSoup(client.get(response["Location"]).content, "html.parser")
    assert preview.select_one("[data-recipients]")["data-recipients"] == "2"
    assert "将发送给 2 人" in preview.get_text()
    assert notice.recipients.count() == 0  # nothing is sent before the confirmation

    response = client.post(f"/admin/notices/{notice.pk}/send/")
    assert response["Location"] == f"/admin/notices/{notice.pk}/"
    assert sorted(notice.recipients.values_list("user__username", flat=True)) == ["reader", "sec1"]
    assert client.get(f"/admin/notices/{notice.pk}/edit/").status_code == 404


def test_a_secretary_chooses_only_their_units(people, org):
    page = BeautifulSoup(client_for(people.secretary).get("/admin/notices/new/").content, "html.parser")
    offered = {int(box["value"]) for box in page.select("input[name=audience_units]")}
    senders = {int(option["value"]) for option in page.select("select[name=sender_unit] option") if option["value"]}
    assert offered == senders == {org.first.pk}


def test_the_status_page_counts_by_unit_and_reminds_the_rest(people, org, sent):
    notice = sent(audience_units=[org.committee], requires_reply=True, deadline=later())
    services.reply(selectors.my_receipt(people.recipient, notice.pk), attend=True)
    client = client_for(people.secretary)
    page = BeautifulSoup(client.get(f"/admin/notices/{notice.pk}/").content, "html.parser")
    counts = {dd["data-count"]: dd.get_text(strip=True) for dd in page.select("[data-count]")}
    assert counts == {"total": "2", "read": "1", "replied": "1", "attend": "1", "absent": "0", "outstanding": "1"}
    assert "1/2" in page.select_one("h3.dj-unit-status").get_text()  # 第一党支部：1 of 2 replied

    response = client.post(f"/admin/notices/{notice.pk}/remind/")
    assert response.status_code == 302
    reminded = NoticeRecipient.objects.filter(notice=notice, last_reminded_at__isnull=False)
    assert list(reminded.values_list("user__username", flat=True)) == ["sec1"]


def test_the_admin_shows_hostile_titles_bodies_and_reasons_as_text(people, org, sent):
    notices = []
    for payload in HTML_PAYLOADS:
        notice = sent(
            title=payload[:100], body=payload, audience_units=[org.first], requires_reply=True, deadline=later()
        )
        services.reply(selectors.my_receipt(people.recipient, notice.pk), attend=False, reason=payload)
        notices.append(notice)
    client = client_for(people.admin)
    html = client.get("/admin/notices/").content.decode()
    assert not [p for p in unsafe_markup(html, allowed_scripts=_scripts(html), where="list") if "unescaped" in p]
    titles = {a.get_text() for a in BeautifulSoup(html, "html.parser").select("td.dj-card-title a")}
    assert titles == {p[:100].strip() for p in HTML_PAYLOADS}
    for notice, payload in zip(notices, HTML_PAYLOADS):
        html = client.get(f"/admin/notices/{notice.pk}/").content.decode()
        assert not [p for p in unsafe_markup(html, allowed_scripts=_scripts(html), where="status") if "unescaped" in p]
        page = BeautifulSoup(html, "html.parser")
        shown = page.select_one(".dj-thread-text").get_text().replace("\n", "")
        assert shown == payload.replace("\n", "").strip(), marker(payload)
        reasons = [td.get_text() for td in page.select('td[data-label="原因"]')]
        assert reasons == [" ".join(payload.split()), "—"], marker(payload)  # 钱书记 has not replied
        assert not page.select(
            "main h2 *, .dj-thread-text script, .dj-thread-text img, .dj-thread-text svg, table.dj-cards script, "
            "table.dj-cards img, table.dj-cards svg, table.dj-cards iframe"
        ), marker(payload)


def _scripts(html) -> set[str]:
    """The admin's own scripts (Wagtail's bundles) are allowed; content brings none."""
    page = BeautifulSoup(html, "html.parser")
    return {s["src"].rsplit("/", 1)[-1] for s in page.find_all("script", src=True)}


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example/","赵")', "+1+1", "-2+3", "@SUM(A1)"])
def test_the_export_never_writes_a_formula(people, org, sent, name):
    hostile = member(org.first, username="hostile", last_name=name, first_name="")
    notice = sent(audience_units=[org.first], requires_reply=True, deadline=later())
    services.reply(selectors.my_receipt(hostile, notice.pk), attend=False, reason=name)
    response = client_for(people.secretary).get(f"/admin/notices/{notice.pk}/export/")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["所在组织", "姓名", "工号"]
    row = next(r for r in rows if r[2] == "hostile")
    assert row[1] == "'" + name and row[6] == "'" + name
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)
    assert {r[2] for r in rows[1:]} == {"reader", "sec1", "hostile"}  # only the secretary's unit


def test_sending_reminding_and_exporting_leave_audit_entries(people, org, sent):
    from cms.audit.models import Action, AuditEntry

    notice = sent(audience_units=[org.first])
    client = client_for(people.secretary)
    client.post(f"/admin/notices/{notice.pk}/remind/")
    client.get(f"/admin/notices/{notice.pk}/export/")
    entries = AuditEntry.objects.filter(object_type="notice", object_id=str(notice.pk)).order_by("seq")
    assert [e.action for e in entries] == [Action.NOTICE_SENT, Action.NOTICE_REMINDED, Action.NOTICE_RECEIPTS_EXPORTED]
    assert entries[0].details["recipients"] == 2 and notice.title not in entries[0].object_repr
