"""The member API as the member area uses it: asking with and without a file, per-field
Chinese errors, the thread, follow-ups, closing, and the badge."""

import pytest

from cms.consultations import services
from cms.consultations.models import Consultation, State

from .conftest import API, client_for, pdf


def test_asking_with_an_attachment_by_multipart(people):
    response = client_for(people.asker).post(
        API,
        {
            "kind": "suggestion",
            "addressee": "branch",
            "subject": "建议增加学习资料",
            "text": "第一行\n第二行",
            "public_consent": "true",
            "attachment": pdf("建议.pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind_label"], body["addressee_label"], body["state_label"]) == ("意见建议", "第一党支部", "待回复")
    assert body["public_consent"] is True and body["can_follow_up"] is True
    [question] = body["messages"]
    assert question["author"] == "我" and question["text"] == "第一行\n第二行"
    assert question["attachment"]["name"] == "建议.pdf"
    download = client_for(people.asker).get(question["attachment"]["url"])
    assert b"".join(download.streaming_content) == b"%PDF-1.4 consultation attachment"
    assert "filename*=utf-8''%e5%bb%ba%e8%ae%ae.pdf" in download["Content-Disposition"].lower()


def test_each_bad_field_gets_a_chinese_message(people):
    response = client_for(people.asker).post(
        API,
        {"kind": "", "addressee": "branch", "subject": "", "text": "   ", "attachment": pdf("病毒.exe", b"MZ")},
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["kind"] == ["请从列表中选择。"]
    assert body["fields"]["subject"] == ["请填写主题。"]
    assert body["fields"]["text"] == ["请填写内容。"]
    assert not Consultation.objects.exists()


def test_service_refusals_come_back_per_field(people):
    response = client_for(people.asker).post(
        API,
        {
            "kind": "question",
            "addressee": "branch",
            "subject": "主题",
            "text": "内容",
            "attachment": pdf("伪装.pdf", b"<html>"),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"attachment": ["文件内容与扩展名“.pdf”不符，请上传真正的 PDF 文件。"]}
    assert not Consultation.objects.exists()


def test_options_offer_the_branch_by_name_and_say_why_not(people):
    options = client_for(people.asker).get(API + "options/").json()
    assert options["addressees"] == [
        {"value": "branch", "label": "第一党支部", "available": True, "reason": ""},
        {"value": "committee", "label": "党委办公室", "available": True, "reason": ""},
    ]
    assert options["sla_working_days"] == 5
    admin_options = client_for(people.admin).get(API + "options/").json()
    assert admin_options["addressees"][0]["available"] is False
    assert admin_options["addressees"][0]["reason"] == "您尚未编入党支部，请选择“党委办公室”。"


def test_detail_flags_new_answers_once_and_the_list_too(people, ask):
    item = ask()
    services.answer(people.secretary, item, "请到支部办理。")
    client = client_for(people.asker)
    assert client.get(API).json()[0]["unseen_answer"] is True
    first = client.get(f"{API}{item.pk}/").json()
    assert first["unseen_answer"] is True
    assert [(m["kind"], m["author"]) for m in first["messages"]] == [("question", "我"), ("answer", "钱书记")]
    assert client.get(f"{API}{item.pk}/").json()["unseen_answer"] is False
    assert client.get(API).json()[0]["unseen_answer"] is False


def test_follow_up_and_close(people, ask):
    item = ask()
    services.answer(people.secretary, item, "答")
    client = client_for(people.asker)
    response = client.post(f"{API}{item.pk}/follow-ups/", {"text": "还有一个问题"}, format="json")
    assert response.status_code == 201 and response.json()["state"] == "pending"
    empty = client.post(f"{API}{item.pk}/follow-ups/", {"text": ""}, format="json")
    assert empty.status_code == 400 and empty.json()["fields"] == {"text": ["请填写追问内容。"]}
    closed = client.post(f"{API}{item.pk}/close/", format="json")
    assert closed.json()["state"] == "closed" and closed.json()["can_follow_up"] is False
    again = client.post(f"{API}{item.pk}/follow-ups/", {"text": "再问"}, format="json")
    assert again.status_code == 400
    assert again.json()["detail"] == "该事项已关闭，不能再追问。如有新问题，请重新提问。"
    item.refresh_from_db()
    assert item.state == State.CLOSED and item.messages.count() == 3


def test_the_session_badge_counts_unseen_answers(people, ask):
    item = ask()
    client = client_for(people.asker)
    badges = client.get("/api/member/session/").json()["user"].get("badges", {})
    assert badges.get("consultations", 0) == 0
    services.answer(people.secretary, item, "答")
    assert client.get("/api/member/session/").json()["user"]["badges"]["consultations"] == 1
    client.get(f"{API}{item.pk}/")
    assert "consultations" not in client.get("/api/member/session/").json()["user"]["badges"]  # nothing new


@pytest.mark.parametrize("bad_id", ["0", "999999", "9" * 19, "abc"])
def test_unknown_ids_are_404(people, bad_id):
    assert client_for(people.asker).get(f"{API}{bad_id}/").status_code == 404
