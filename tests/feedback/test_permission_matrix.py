"""Every feedback endpoint × every kind of person, in one table; plus CSRF.

The member form is for 第一党支部 (under 机关党总支 under 机关党委); the secretary of 第一党支部
is in its audience, the secretary of 第二党支部 is not."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cms.feedback import services
from cms.feedback.models import Draft, Participation, Response
from tests.access import assert_sent_to_admin_log_in
from tests.factories import FeedbackFormFactory
from tests.feedback.conftest import ALL_TYPES, key, valid_answers
from tests.study.conftest import API, client_for

PERSONAS = ["anonymous", "other_branch", "in_audience", "other_secretary", "secretary", "admin"]

MATRIX = {
    "GET forms/": (401, 200, 200, 200, 200, 200),
    # 管理员 outside the audience do not answer (an answer would count): the same 404.
    "GET forms/{form}/": (401, 404, 200, 404, 200, 404),
    "PUT forms/{form}/draft/": (401, 404, 200, 404, 200, 404),
    "POST forms/{form}/submit/": (401, 404, 200, 404, 200, 404),
    "POST forms/{form}/files/": (401, 404, 201, 404, 201, 404),
    # Public forms: anyone, logged in or not; a member form is not reachable this way.
    "POST /api/forms/{public}/submissions/": (201, 201, 201, 201, 201, 201),
    "POST /api/forms/{form}/submissions/": (404, 404, 404, 404, 404, 404),
    # Attachments: results readers only (the admin; members without it are sent away), the
    # secretary for their own branch's people, 管理员 for all.
    "GET {named_file}": (302, 302, 302, 404, 200, 200),
    "GET {anonymous_file}": (302, 302, 302, 404, 200, 200),
    "GET {unsubmitted_file}": (302, 302, 302, 404, 404, 404),
    # 问卷结果: results readers in the admin; a form aimed at another branch is not theirs.
    "GET /admin/feedback/results/": (302, 302, 302, 200, 200, 200),
    "GET {results}": (302, 302, 302, 404, 200, 200),
    "GET {results_export}": (302, 302, 302, 404, 200, 200),
}
CASES = [
    (endpoint, persona, expected[index])
    for endpoint, expected in MATRIX.items()
    for index, persona in enumerate(PERSONAS)
]
UNSAFE = [e for e in MATRIX if not e.startswith("GET ") and not e.startswith("POST /api/forms/")]


@pytest.fixture
def world(people, org, public_form):
    form = FeedbackFormFactory(
        title="一支部意见征集",
        audience_units=[org.first],
        fields=[*ALL_TYPES, {"label": "材料", "field_type": "file", "required": False}],
    )
    anonymous = FeedbackFormFactory(
        title="一支部匿名测评",
        audience_units=[org.first],
        anonymous=True,
        fields=[{"label": "材料", "field_type": "file"}],
    )
    author = people["in_audience"]
    named_file = services.upload_file(author, form, SimpleUploadedFile("named.pdf", b"%PDF-1.4 NAMED"))
    services.submit(author, form, {**valid_answers(form), "u6750u6599": str(named_file.pk)}, key())
    anonymous_file = services.upload_file(author, anonymous, SimpleUploadedFile("anon.pdf", b"%PDF-1.4 ANON"))
    services.submit(author, anonymous, {"u6750u6599": str(anonymous_file.pk)}, key())
    unsubmitted = services.upload_file(people["secretary"], form, SimpleUploadedFile("draft.pdf", b"%PDF-1.4 DRAFT"))
    # The requests below are the persona's first submission: the author's answer is cleared.
    Participation.objects.filter(form=form).delete()
    Response.objects.filter(form=form).delete()
    urls = {
        "form": form.pk,
        "public": public_form.pk,
        "named_file": f"/admin/feedback/files/{named_file.pk}/",
        "anonymous_file": f"/admin/feedback/files/{anonymous_file.pk}/",
        "unsubmitted_file": f"/admin/feedback/files/{unsubmitted.pk}/",
        "results": f"/admin/feedback/results/{form.pk}/",
        "results_export": f"/admin/feedback/results/{form.pk}/export/",
    }
    return SimpleNamespace(people=people, form=form, public_form=public_form, urls=urls)


def url_of(endpoint, world) -> str:
    url = endpoint.split(" ")[1].format(**world.urls)
    return url if url.startswith("/") else API + url


def request(client, endpoint, world):
    method = endpoint.split(" ")[0].lower()
    url = url_of(endpoint, world)
    if endpoint.endswith("files/"):
        return client.post(url, {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")}, format="multipart")
    body = None
    if endpoint.endswith("draft/"):
        body = {"answers": {"u59d3u540d": "草稿"}}
    elif endpoint.endswith("submit/"):
        body = {"answers": valid_answers(world.form), "submission_key": key()}
    elif endpoint.endswith("submissions/"):
        body = {"answers": {"u6807u9898": "标题", "u5185u5bb9": "内容"}, "website": ""}
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(("endpoint", "persona", "expected"), CASES, ids=[f"{e} · {p}" for e, p, _ in CASES])
def test_permission_matrix(world, endpoint, persona, expected):
    person = world.people[persona]

    response = request(client_for(person), endpoint, world)

    assert response.status_code == expected, response.content
    if expected == 401:
        assert response.json() == {"detail": "登录已过期或尚未登录，请重新登录。", "code": "not_authenticated"}
    if expected == 404 and url_of(endpoint, world).startswith("/api/member/"):
        assert response.json() == {"detail": "未找到该问卷，或您不在填写范围内。", "code": "not_found"}
    if expected == 302:  # only people without admin access are sent away (staff get a 404)
        assert_sent_to_admin_log_in(response, url_of(endpoint, world))
    if expected in (302, 404) and url_of(endpoint, world).startswith("/admin/"):
        assert b"%PDF" not in b"".join(getattr(response, "streaming_content", [response.content]))
    if expected == 200 and url_of(endpoint, world).startswith("/admin/feedback/files/"):
        body = b"".join(response.streaming_content)
        assert body.startswith(b"%PDF-1.4") and response["Content-Disposition"].startswith("attachment")
    if expected in (401, 404) and person is not None and "{form}" in endpoint:
        assert not Participation.objects.filter(form=world.form, user=person).exists()
        assert not Draft.objects.filter(form=world.form, user=person).exists()


@pytest.mark.parametrize("endpoint", UNSAFE)
@pytest.mark.parametrize("persona", ["anonymous", "in_audience"])
def test_unsafe_member_requests_without_the_csrf_token_are_refused(world, endpoint, persona):
    person = world.people[persona]

    response = request(client_for(person, enforce_csrf=True), endpoint, world)

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert not Response.objects.filter(form=world.form).exists()


def test_the_public_endpoint_needs_no_csrf_token_but_only_takes_json(world):
    client = client_for(world.people["in_audience"], enforce_csrf=True)
    url = f"/api/forms/{world.public_form.pk}/submissions/"

    as_form = client.post(url, {"website": ""}, format="multipart")
    as_json = request(client, "POST /api/forms/{public}/submissions/", world)

    assert as_form.status_code == 415 and as_form.json()["code"] == "unsupported_media_type"
    assert as_json.status_code == 201


#: Which live forms each person finds in forms/.
VISIBLE = {
    "other_branch": {"二支部问卷", "全体问卷"},
    "in_audience": {"一支部意见征集", "一支部匿名测评", "全体问卷"},
    "other_secretary": {"二支部问卷", "全体问卷"},
    "secretary": {"一支部意见征集", "一支部匿名测评", "全体问卷"},
    "admin": set(),  # no Party record: in no audience
}


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_the_list_shows_only_forms_in_my_audience(world, org, persona):
    FeedbackFormFactory(title="二支部问卷", audience_units=[org.second])
    FeedbackFormFactory(title="全体问卷")
    FeedbackFormFactory(title="草稿问卷", publish=False)
    withdrawn = FeedbackFormFactory(title="已撤下问卷")
    withdrawn.unpublish()

    listed = {form["title"] for form in client_for(world.people[persona]).get(API + "forms/").json()}

    assert listed == VISIBLE[persona]
