"""The feedback endpoints as the member pages and the public site use them: the shapes of
docs/member-api.md (问卷), the error codes, and the public endpoint's abuse controls."""

import datetime
import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from cms.feedback.models import AnswerFile, Draft, Participation, PublicSubmitCounter, Response
from tests.factories import FeedbackFormFactory
from tests.feedback.conftest import ALL_TYPES, FORMS, client_for, key, names_of, valid_answers
from tests.hostile import PAYLOADS

SUMMARY_KEYS = {
    "id",
    "title",
    "kind",
    "kind_label",
    "state",
    "opens_at",
    "closes_at",
    "anonymous",
    "allow_change",
    "submitted_at",
    "has_draft",
}
DETAIL_KEYS = SUMMARY_KEYS | {"intro", "thank_you_text", "fields", "draft", "answers"}
FIELD_KEYS = {
    "name",
    "type",
    "label",
    "help_text",
    "required",
    "choices",
    "min",
    "max",
    "max_length",
    "accept",
    "max_bytes",
    "people",
    "grades",
}


@pytest.fixture
def form(people, org):
    return FeedbackFormFactory(
        title="支部工作意见征集",
        audience_units=[org.first],
        fields=ALL_TYPES,
        closes_at=timezone.now() + datetime.timedelta(days=7),
    )


@pytest.fixture
def me(people):
    return client_for(people["in_audience"])


def test_list_and_detail_have_the_contract_shapes(form, me):
    [summary] = me.get(FORMS).json()
    detail = me.get(f"{FORMS}{form.pk}/").json()

    assert set(summary) == SUMMARY_KEYS and set(detail) == DETAIL_KEYS
    assert summary["state"] == "open" and summary["kind_label"] == "意见征集"
    assert summary["submitted_at"] is None and summary["has_draft"] is False
    assert [f["label"] for f in detail["fields"]] == [spec["label"] for spec in ALL_TYPES]
    assert all(set(field) == FIELD_KEYS for field in detail["fields"])
    by_label = {f["label"]: f for f in detail["fields"]}
    assert by_label["满意度"]["choices"] == ["满意", "一般", "不满意"]
    assert by_label["关注领域"]["choices"] == ["学习", "组织生活", "作风建设"]
    assert (by_label["总体评分"]["min"], by_label["总体评分"]["max"]) == (1, 5)
    assert (by_label["年龄"]["min"], by_label["年龄"]["max"]) == (0, 150)
    assert by_label["姓名"]["max_length"] == 2000
    assert by_label["第二部分"]["type"] == "section" and by_label["第二部分"]["required"] is False
    assert detail["draft"] is None and detail["answers"] is None


def test_a_draft_comes_back_with_the_form(form, me):
    names = names_of(form)

    saved = me.put(f"{FORMS}{form.pk}/draft/", {"answers": {names["姓名"]: "张"}}, format="json")
    detail = me.get(f"{FORMS}{form.pk}/").json()

    assert saved.status_code == 200 and set(saved.json()) == {"saved_at"}
    assert detail["draft"]["answers"] == {names["姓名"]: "张"} and detail["has_draft"] is True


def test_submit_answers_with_the_detail_and_a_retry_changes_nothing(form, me, people):
    attempt = key()
    body = {"answers": valid_answers(form), "submission_key": attempt}

    first = me.post(f"{FORMS}{form.pk}/submit/", body, format="json")
    retry = me.post(f"{FORMS}{form.pk}/submit/", body, format="json")
    another = me.post(f"{FORMS}{form.pk}/submit/", {**body, "submission_key": key()}, format="json")

    assert first.status_code == 200 and set(first.json()) == DETAIL_KEYS
    assert first.json()["state"] == "answered" and first.json()["answers"] == valid_answers(form)
    assert retry.status_code == 200 and retry.json() == first.json()
    assert another.status_code == 400
    assert another.json() == {"detail": "您已提交过这份问卷，不能重复提交。", "code": "already_submitted"}
    assert Response.objects.filter(form=form).count() == 1
    assert me.get(FORMS).json()[0]["state"] == "answered"


def test_invalid_answers_come_back_per_field_in_chinese(form, me):
    names = names_of(form)

    response = me.post(
        f"{FORMS}{form.pk}/submit/", {"answers": {names["年龄"]: "二十"}, "submission_key": key()}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["detail"] == "请填写“姓名”。"
    assert body["fields"][names["年龄"]] == ["“年龄”须为 0 到 150 之间的数字。"]
    assert body["fields"][names["姓名"]] == ["请填写“姓名”。"]
    assert not Participation.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"answers": [], "submission_key": "x"},
        {"answers": {}, "submission_key": "not-a-uuid"},
        {"submission_key": "00000000-0000-0000-0000-000000000000"},
    ],
)
def test_malformed_submissions_are_refused_in_chinese(form, me, body):
    response = me.post(f"{FORMS}{form.pk}/submit/", body, format="json")

    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert all("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"][:1])


def test_a_closed_form_is_listed_closed_and_refuses_answers(people, org, me):
    form = FeedbackFormFactory(
        audience_units=[org.first], fields=ALL_TYPES, closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    listed = me.get(FORMS).json()
    submitted = me.post(
        f"{FORMS}{form.pk}/submit/", {"answers": valid_answers(form), "submission_key": key()}, format="json"
    )
    drafted = me.put(f"{FORMS}{form.pk}/draft/", {"answers": {}}, format="json")

    assert [f["state"] for f in listed] == ["closed"]
    assert submitted.status_code == drafted.status_code == 400
    assert submitted.json() == {"detail": "问卷已截止，不能再提交。", "code": "closed"}
    assert drafted.json()["code"] == "closed"


def test_an_oversize_body_is_refused_with_413(form, me):
    names = names_of(form)

    response = me.put(f"{FORMS}{form.pk}/draft/", {"answers": {names["意见"]: "字" * 40000}}, format="json")

    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert not Draft.objects.exists()


@pytest.mark.parametrize("pk", ["999999", "999999999999999999"])
def test_unknown_forms_are_404(me, pk):
    assert me.get(f"{FORMS}{pk}/").json() == {"detail": "未找到该问卷，或您不在填写范围内。", "code": "not_found"}


def test_a_draft_form_is_404_like_a_missing_one(people, org, me):
    draft = FeedbackFormFactory(audience_units=[org.first], publish=False)

    assert me.get(f"{FORMS}{draft.pk}/").status_code == 404


def test_upload_returns_a_token_that_answers_the_file_question(people, org, me):
    form = FeedbackFormFactory(audience_units=[org.first], fields=[{"label": "材料", "field_type": "file"}])

    uploaded = me.post(
        f"{FORMS}{form.pk}/files/", {"file": SimpleUploadedFile("心得.pdf", b"%PDF-1.4 x")}, format="multipart"
    )
    token = uploaded.json()["token"]
    submitted = me.post(
        f"{FORMS}{form.pk}/submit/", {"answers": {"u6750u6599": token}, "submission_key": key()}, format="json"
    )

    assert uploaded.status_code == 201 and uploaded.json() == {"token": token, "name": "心得.pdf", "size": 10}
    assert submitted.status_code == 200
    assert AnswerFile.objects.get(pk=token).submitted


def test_a_refused_upload_says_why_in_chinese(people, org, me):
    form = FeedbackFormFactory(audience_units=[org.first], fields=[{"label": "材料", "field_type": "file"}])

    response = me.post(
        f"{FORMS}{form.pk}/files/", {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00")}, format="multipart"
    )

    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert response.json()["fields"]["file"] == ["文件内容与扩展名“.pdf”不符，请上传真正的 PDF 文件。"]


@pytest.mark.parametrize("payload", PAYLOADS[:6])
def test_hostile_text_is_stored_as_given_and_returned_as_json_data(form, me, payload):
    names = names_of(form)
    answers = {**valid_answers(form), names["意见"]: payload}

    response = me.post(f"{FORMS}{form.pk}/submit/", {"answers": answers, "submission_key": key()}, format="json")

    assert response["Content-Type"] == "application/json"
    assert response.json()["answers"][names["意见"]] == payload.strip()


# ------------------------------------------------------------------------------ public endpoint


def public_url(form) -> str:
    return f"/api/forms/{form.pk}/submissions/"


def public_body(form, **extra) -> dict:
    names = names_of(form)
    return {"answers": {names["标题"]: "关于食堂", names["内容"]: "希望增加窗口。"}, "website": "", **extra}


def post_public(client, form, body, address="203.0.113.77"):
    return client.post(public_url(form), json.dumps(body), content_type="application/json", REMOTE_ADDR=address)


def test_a_visitor_submits_a_public_form(public_form):
    response = post_public(client_for(), public_form, public_body(public_form))

    assert response.status_code == 201
    assert response.json() == {"detail": "提交成功，感谢您的来信。"}
    assert Response.objects.filter(form=public_form).count() == 1


def test_the_honeypot_is_refused(public_form):
    response = post_public(client_for(), public_form, public_body(public_form, website="http://spam.example/"))

    assert response.status_code == 400 and response.json()["detail"] == "提交未被接受，请刷新页面后重试。"
    assert not Response.objects.exists()


def test_invalid_public_answers_come_back_per_field(public_form):
    response = post_public(client_for(), public_form, {"answers": {}, "website": ""})

    assert response.status_code == 400
    assert response.json()["fields"] == {"u6807u9898": ["请填写“标题”。"], "u5185u5bb9": ["请填写“内容”。"]}


def test_an_oversize_public_body_is_refused(public_form):
    body = public_body(public_form)
    body["answers"]["u5185u5bb9"] = "字" * 40000

    response = post_public(client_for(), public_form, body)

    assert response.status_code == 413 and response.json()["detail"] == "提交的内容过多，请精简后再提交。"
    assert not Response.objects.exists()


def test_after_the_limit_a_client_gets_429_and_nothing_keeps_its_address(public_form, settings):
    settings.FEEDBACK_PUBLIC_SUBMISSIONS_PER_HOUR = 3
    client = client_for()
    address = "203.0.113.77"

    answers = [post_public(client, public_form, public_body(public_form), address) for _ in range(4)]
    other = post_public(client, public_form, public_body(public_form), "198.51.100.9")

    assert [r.status_code for r in answers] == [201, 201, 201, 429]
    assert answers[-1].json() == {"detail": "提交过于频繁，请稍后再试。", "code": "throttled"}
    assert other.status_code == 201
    assert Response.objects.filter(form=public_form).count() == 4
    # Nowhere in the database (every table, every text column) nor the cache is the address.
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            dump.extend(str(row) for row in cursor.fetchall())
    assert not any(address in row or "198.51.100.9" in row for row in dump)
    assert PublicSubmitCounter.objects.count() == 2
    assert cache.get(address) is None


def test_the_address_comes_from_x_forwarded_for_only_behind_trusted_proxies(public_form, settings):
    settings.FEEDBACK_PUBLIC_SUBMISSIONS_PER_HOUR = 1
    client = client_for()
    body = json.dumps(public_body(public_form))

    def post(forwarded):
        return client.post(
            public_url(public_form),
            body,
            content_type="application/json",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    # No trusted proxy: a made-up X-Forwarded-For does not dodge the limit.
    assert [post("1.1.1.1").status_code, post("2.2.2.2").status_code] == [201, 429]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert [post("3.3.3.3").status_code, post("4.4.4.4").status_code] == [201, 201]


def test_member_forms_and_unpublished_public_forms_are_404_here(public_form, section, people, org):
    member_form = FeedbackFormFactory(fields=[{"label": "标题"}])
    draft = FeedbackFormFactory(parent=section, publish=False, fields=[{"label": "标题"}])

    for form in (member_form, draft):
        response = post_public(client_for(), form, {"answers": {"u6807u9898": "x"}})
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Response.objects.exists()


def test_a_closed_public_form_says_so(section):
    form = FeedbackFormFactory(
        parent=section,
        fields=[{"label": "标题"}, {"label": "内容"}],
        closes_at=timezone.now() - datetime.timedelta(hours=1),
    )

    response = post_public(client_for(), form, public_body(form))

    assert response.status_code == 400 and response.json()["code"] == "closed"
