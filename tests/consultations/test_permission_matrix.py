"""Every consultation endpoint and admin view × every kind of person, in one table.

The item is 赵提问's question to 第一党支部 (with a PDF attached); ``office`` is a question of
his to the committee office (党委办公室)."""

from types import SimpleNamespace

import pytest

from cms.consultations.models import Consultation, State

from .conftest import API, MEMBER_API, client_for, pdf

PERSONAS = ["anonymous", "asker", "other_member", "other_secretary", "secretary", "organiser", "answerer", "admin"]

#: endpoint → expected status per persona, in PERSONAS order. Admin refusals are Wagtail's
#: redirects (to its log-in, or to the dashboard for staff); an item outside one's scope is a 404.
MATRIX = {
    "GET consultations/": (401, 200, 200, 200, 200, 200, 200, 200),
    "GET consultations/options/": (401, 200, 200, 200, 200, 200, 200, 200),
    "POST consultations/": (401, 201, 201, 201, 201, 201, 201, 201),
    "GET consultations/{item}/": (401, 200, 404, 404, 404, 404, 404, 404),
    "POST consultations/{item}/follow-ups/": (401, 201, 404, 404, 404, 404, 404, 404),
    "POST consultations/{item}/close/": (401, 200, 404, 404, 404, 404, 404, 404),
    "GET consultations/{item}/messages/{message}/attachment/": (401, 200, 404, 404, 404, 404, 404, 404),
    "GET /admin/consultations/": (302, 302, 302, 200, 200, 200, 200, 200),
    "GET /admin/consultations/{item}/": (302, 302, 302, 404, 200, 200, 404, 200),
    "POST /admin/consultations/{item}/": (302, 302, 302, 404, 302, 302, 404, 302),
    "POST /admin/consultations/{item}/close/": (302, 302, 302, 404, 302, 302, 404, 302),
    "GET /admin/consultations/{item}/messages/{message}/attachment/": (302, 302, 302, 404, 200, 200, 404, 200),
    "GET /admin/consultations/{office}/": (302, 302, 302, 404, 404, 404, 200, 200),
    "POST /admin/consultations/{office}/": (302, 302, 302, 404, 404, 404, 302, 302),
    "GET /admin/consultations/{office}/messages/{office_message}/attachment/": (302, 302, 302, 404, 404, 404, 200, 200),
    "POST /admin/consultations/{item}/faq/": (302, 302, 302, 404, 302, 302, 404, 302),
}
CASES = [
    (endpoint, persona, expected[index])
    for endpoint, expected in MATRIX.items()
    for index, persona in enumerate(PERSONAS)
]
UNSAFE_API = [e for e in MATRIX if e.startswith("POST ") and not e.split(" ")[1].startswith("/")]


@pytest.fixture
def world(people, ask):
    item = ask(attachment=pdf(), public_consent=True)
    office = ask(addressee="committee", subject="党费", attachment=pdf("党费.pdf"))
    persons = {name: getattr(people, name, None) for name in PERSONAS}
    urls = {
        "item": item.pk,
        "message": item.messages.get().pk,
        "office": office.pk,
        "office_message": office.messages.get().pk,
    }
    return SimpleNamespace(people=persons, item=item, office=office, urls=urls)


def url_of(endpoint, world) -> str:
    url = endpoint.split(" ")[1].format(**world.urls)
    return url if url.startswith("/") else MEMBER_API + url


def request(endpoint, world, person, client=None):
    method, url = endpoint.split(" ")[0], url_of(endpoint, world)
    client = client or client_for(person)
    if method == "GET":
        return client.get(url)
    if url.startswith("/admin/"):
        body = {"text": "答复内容"} if url.endswith(("/", f"{world.item.pk}/")) else {}
        if url.endswith("/faq/"):
            body = {"section": "0"}
        return client.post(url, body)  # a form post, as the admin page sends
    if endpoint == "POST consultations/":
        return client.post(
            url, {"kind": "question", "addressee": "committee", "subject": "主题", "text": "内容"}, format="json"
        )
    if endpoint.endswith("follow-ups/"):
        return client.post(url, {"text": "追问"}, format="json")
    return client.post(url, format="json")


@pytest.mark.parametrize(("endpoint", "persona", "expected"), CASES, ids=[f"{e} · {p}" for e, p, _ in CASES])
def test_permission_matrix(world, endpoint, persona, expected):
    person = world.people[persona]
    before = {item.pk: (item.state, item.messages.count()) for item in Consultation.objects.all()}

    response = request(endpoint, world, person)

    assert response.status_code == expected, response.content[:500]
    url = url_of(endpoint, world)
    if expected == 401:
        assert response.json() == {"detail": "登录已过期或尚未登录，请重新登录。", "code": "not_authenticated"}
    if expected == 404 and url.startswith("/api/"):
        assert response.json() == {"detail": "没有找到该咨询或建议。", "code": "not_found"}
    if expected == 404:
        assert b"PDF-1.4" not in response.content and "组织关系转接".encode() not in response.content
    if expected == 200 and "attachment" in url:
        assert b"".join(response.streaming_content) == b"%PDF-1.4 consultation attachment"
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    refused = expected in (401, 404) or (expected == 302 and persona in ("anonymous", "asker", "other_member"))
    if refused:
        after = {item.pk: (item.state, item.messages.count()) for item in Consultation.objects.all()}
        assert after == before  # nothing was written
    if expected == 302 and refused:
        assert response["Location"].startswith("/admin/")


def test_admin_answers_and_closes_take_effect(world):
    secretary = world.people["secretary"]
    client = client_for(secretary)
    client.post(f"/admin/consultations/{world.item.pk}/", {"text": "请带上介绍信。"})
    world.item.refresh_from_db()
    assert world.item.state == State.ANSWERED
    client.post(f"/admin/consultations/{world.item.pk}/close/")
    world.item.refresh_from_db()
    assert world.item.state == State.CLOSED and world.item.closed_by == secretary


#: Which items each person finds in the admin list.
LISTED = {
    "other_secretary": set(),
    "secretary": {"组织关系转接"},
    "organiser": {"组织关系转接"},
    "answerer": {"党费"},
    "admin": {"组织关系转接", "党费"},
}


@pytest.mark.parametrize("persona", list(LISTED))
def test_admin_lists_only_what_the_person_answers(world, persona):
    from bs4 import BeautifulSoup

    page = BeautifulSoup(client_for(world.people[persona]).get("/admin/consultations/").content, "html.parser")
    titles = {link.get_text(strip=True) for link in page.select("td.dj-card-title a")}
    assert titles == LISTED[persona]


def test_the_asker_lists_only_their_own_items(world, people, ask):
    ask(people.other_member, subject="别人的问题")
    listed = {item["subject"] for item in client_for(people.asker).get(API).json()}
    assert listed == {"组织关系转接", "党费"}
    assert [i["subject"] for i in client_for(people.other_member).get(API).json()] == ["别人的问题"]


@pytest.mark.parametrize("endpoint", UNSAFE_API)
def test_unsafe_requests_without_the_csrf_token_are_refused(world, endpoint):
    person = world.people["asker"]
    response = request(endpoint, world, person, client=client_for(person, enforce_csrf=True))
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert Consultation.objects.count() == 2


@pytest.mark.parametrize("endpoint", [e for e in MATRIX if e.split(" ")[1].startswith("consultations/")])
def test_an_initial_password_opens_none_of_them(world, endpoint):
    person = world.people["asker"]
    person.must_change_password = True
    person.save(update_fields=["must_change_password"])
    response = request(endpoint, world, person)
    assert response.status_code == 403 and response.json()["code"] == "password_change_required"


def test_the_dashboard_panel_counts_for_the_person(world, settings):
    from bs4 import BeautifulSoup

    page = BeautifulSoup(client_for(world.people["secretary"]).get("/admin/").content, "html.parser")
    panel = page.select_one("#consultations-panel-content")
    assert panel is not None
    assert panel.select_one('[data-count="pending"]').get_text(strip=True) == "1"
    assert panel.select_one('[data-count="overdue"]').get_text(strip=True) == "0"
    other = BeautifulSoup(client_for(world.people["other_secretary"]).get("/admin/").content, "html.parser")
    assert other.select_one('[data-count="pending"]').get_text(strip=True) == "0"
