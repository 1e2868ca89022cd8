"""The member's side: my notices (unread first, the badge), opening marks read, confirm,
reply with its rules, errors in the project's one JSON shape."""

import datetime as dt

from django.utils import timezone

from cms.notifications.models import NoticeRecipient
from tests.hostile import PAYLOADS, storable

from .conftest import API, client_for, later

SESSION = "/api/member/session/"


def badges(client):
    return client.get(SESSION).json()["user"]["badges"]


def test_unread_first_and_the_badge(people, sent):
    old = sent(title="旧通知")
    new = sent(title="新通知")
    client = client_for(people.recipient)
    assert [n["title"] for n in client.get(API).json()] == ["新通知", "旧通知"]
    assert badges(client)["notices"] == 2

    opened = client.get(f"{API}{new.pk}/").json()
    assert opened["read"] is True and opened["body"] == "请各位党员准时参加。"
    listed = client.get(API).json()
    assert [(n["title"], n["read"]) for n in listed] == [("旧通知", False), ("新通知", True)]
    assert badges(client)["notices"] == 1
    client.get(f"{API}{old.pk}/")
    assert "notices" not in badges(client)


def test_opening_twice_keeps_the_first_read_time(people, sent):
    notice = sent()
    client = client_for(people.recipient)
    first = client.get(f"{API}{notice.pk}/").json()["read_at"]
    assert client.get(f"{API}{notice.pk}/").json()["read_at"] == first


def test_confirm_is_idempotent(people, sent):
    notice = sent(requires_confirmation=True)
    client = client_for(people.recipient)
    first = client.post(f"{API}{notice.pk}/confirm/", format="json").json()
    again = client.post(f"{API}{notice.pk}/confirm/", format="json")
    assert again.status_code == 200 and first["confirmed"] is True
    assert again.json()["confirmed_at"] == first["confirmed_at"]


def test_confirming_a_notice_without_confirmation_is_a_readable_error(people, sent):
    notice = sent()
    response = client_for(people.recipient).post(f"{API}{notice.pk}/confirm/", format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "该通知不需要确认。", "code": "invalid"}


def test_reply_attend_and_absent_with_reason(people, sent):
    notice = sent(requires_reply=True, deadline=later())
    client = client_for(people.recipient)
    url = f"{API}{notice.pk}/reply/"

    response = client.post(url, {"attend": False, "reason": ""}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "选择“不参加”时请填写原因。",
        "code": "invalid",
        "fields": {"reason": ["选择“不参加”时请填写原因。"]},
    }
    response = client.post(url, {"reason": "x"}, format="json")
    assert response.status_code == 400 and response.json()["fields"]["attend"] == ["请选择参加或不参加。"]

    body = client.post(url, {"attend": False, "reason": "  外出培训  "}, format="json").json()
    assert (body["reply"], body["reply_label"], body["reason"], body["can_reply"]) == (
        "absent",
        "不参加",
        "外出培训",
        True,
    )
    body = client.post(url, {"attend": True}, format="json").json()
    assert (body["reply"], body["reason"]) == ("attend", "")


def test_a_reply_after_the_deadline_is_refused_in_chinese(people, sent):
    notice = sent(requires_reply=True, deadline=later())
    notice.deadline = timezone.now() - dt.timedelta(minutes=1)
    notice.save(update_fields=["deadline"])
    client = client_for(people.recipient)
    assert client.get(f"{API}{notice.pk}/").json()["can_reply"] is False
    response = client.post(f"{API}{notice.pk}/reply/", {"attend": True}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["detail"].startswith("回执截止时间（") and "已过" in body["detail"]
    assert NoticeRecipient.objects.get(notice=notice, user=people.recipient).reply == ""


def test_a_reply_to_a_notice_that_asks_none_is_refused(people, sent):
    notice = sent()
    response = client_for(people.recipient).post(f"{API}{notice.pk}/reply/", {"attend": True}, format="json")
    assert response.json() == {"detail": "该通知不需要回执。", "code": "invalid"}


def test_hostile_text_comes_back_as_typed(people, sent):
    client = client_for(people.recipient)
    for payload in [storable(p) for p in PAYLOADS if "<" in p][:12]:
        notice = sent(title=payload[:100], body=payload, requires_reply=True, deadline=later())
        body = client.post(f"{API}{notice.pk}/reply/", {"attend": False, "reason": payload[:500]}, format="json").json()
        assert body["title"] == payload[:100].strip() and body["body"] == payload.strip()
        assert body["reason"] == " ".join(payload[:500].split())
