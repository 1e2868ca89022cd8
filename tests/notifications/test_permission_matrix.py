"""Every notice endpoint and admin view × every kind of person, in one table.

``sent`` is the office's notice to 第一党支部 (赵读者 and 钱书记 receive it; it asks for a
confirmation and a reply); ``draft`` is 钱书记's draft to 第一党支部."""

from types import SimpleNamespace

import pytest

from cms.notifications.models import Notice, NoticeRecipient

from .conftest import MEMBER_API, client_for, later

PERSONAS = ["anonymous", "recipient", "other_member", "secretary", "other_secretary", "editor", "admin"]

#: endpoint → expected status per persona, in PERSONAS order. Admin refusals of people without
#: admin access are Wagtail's redirect to its log-in; a notice outside one's scope is a 404.
MATRIX = {
    "GET notices/": (401, 200, 200, 200, 200, 200, 200),
    "GET notices/{sent}/": (401, 200, 404, 200, 404, 404, 404),
    "POST notices/{sent}/confirm/": (401, 200, 404, 200, 404, 404, 404),
    "POST notices/{sent}/reply/": (401, 200, 404, 200, 404, 404, 404),
    "GET notices/{draft}/": (401, 404, 404, 404, 404, 404, 404),
    "POST notices/{draft}/confirm/": (401, 404, 404, 404, 404, 404, 404),
    "GET /admin/notices/": (302, 302, 302, 200, 200, 200, 200),
    "GET /admin/notices/new/": (302, 302, 302, 200, 200, 200, 200),
    "POST /admin/notices/new/": (302, 302, 302, 302, 400, 302, 302),
    "GET /admin/notices/{draft}/edit/": (302, 302, 302, 200, 404, 200, 200),
    "POST /admin/notices/{draft}/edit/": (302, 302, 302, 302, 404, 302, 302),
    "GET /admin/notices/{draft}/send/": (302, 302, 302, 200, 404, 200, 200),
    "POST /admin/notices/{draft}/send/": (302, 302, 302, 302, 404, 302, 302),
    "POST /admin/notices/{draft}/delete/": (302, 302, 302, 302, 404, 302, 302),
    "GET /admin/notices/{draft}/": (302, 302, 302, 404, 404, 404, 404),
    "GET /admin/notices/{sent}/edit/": (302, 302, 302, 404, 404, 404, 404),
    "POST /admin/notices/{sent}/send/": (302, 302, 302, 404, 404, 404, 404),
    "GET /admin/notices/{sent}/": (302, 302, 302, 200, 404, 200, 200),
    "POST /admin/notices/{sent}/remind/": (302, 302, 302, 302, 404, 302, 302),
    "GET /admin/notices/{sent}/export/": (302, 302, 302, 200, 404, 200, 200),
}
CASES = [
    (endpoint, persona, expected[index])
    for endpoint, expected in MATRIX.items()
    for index, persona in enumerate(PERSONAS)
]
UNSAFE_API = [e for e in MATRIX if e.startswith("POST ") and not e.split(" ")[1].startswith("/")]


@pytest.fixture
def world(people, org, draft, sent):
    office = sent(
        people.editor,
        title="缴纳十二月党费",
        body="SECRETBODY 请于月底前缴纳。",
        kind="dues",
        requires_confirmation=True,
        requires_reply=True,
        deadline=later(),
    )
    mine = draft(people.secretary, title="支部学习安排", sender_unit=org.first, audience_units=[org.first])
    persons = {name: getattr(people, name, None) for name in PERSONAS}
    return SimpleNamespace(people=persons, org=org, sent=office, draft=mine, urls={"sent": office.pk, "draft": mine.pk})


def url_of(endpoint, world) -> str:
    url = endpoint.split(" ")[1].format(**world.urls)
    return url if url.startswith("/") else MEMBER_API + url


def form(world) -> dict:
    first = world.org.first.pk
    return {
        "title": "新的通知",
        "kind": "study",
        "body": "内容",
        "sender_unit": first,
        "audience_units": [first],
        "deadline": "",
    }


def request(endpoint, world, person, client=None):
    method, url = endpoint.split(" ")[0], url_of(endpoint, world)
    client = client or client_for(person)
    if method == "GET":
        return client.get(url)
    if url.startswith("/admin/"):
        body = form(world) if url.endswith(("/new/", "/edit/")) else {}
        return client.post(url, body)  # a form post, as the admin page sends
    if url.endswith("/reply/"):
        return client.post(url, {"attend": False, "reason": "出差"}, format="json")
    return client.post(url, format="json")


def snapshot():
    return (
        sorted(Notice.objects.values_list("pk", "title", "sent_at")),
        sorted(NoticeRecipient.objects.values_list("pk", "read_at", "confirmed_at", "reply", "last_reminded_at")),
    )


@pytest.mark.parametrize(("endpoint", "persona", "expected"), CASES, ids=[f"{e} · {p}" for e, p, _ in CASES])
def test_permission_matrix(world, endpoint, persona, expected):
    person = world.people[persona]
    before = snapshot()

    response = request(endpoint, world, person)

    assert response.status_code == expected, response.content[:500]
    url = url_of(endpoint, world)
    if expected == 401:
        assert response.json() == {"detail": "登录已过期或尚未登录，请重新登录。", "code": "not_authenticated"}
    if expected == 404 and url.startswith("/api/"):
        assert response.json() == {"detail": "没有找到该通知。", "code": "not_found"}
    if expected in (404, 400) or (expected == 302 and persona in ("anonymous", "recipient", "other_member")):
        assert b"SECRETBODY" not in response.content
        assert snapshot() == before  # nothing was written
    if expected == 302 and persona in ("anonymous", "recipient", "other_member"):
        assert response["Location"].startswith("/admin/login/")
    if expected == 200 and url.endswith("/export/"):
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_secretary_sees_only_their_units_recipients(world, sent, people, org):
    everyone = sent(people.admin, title="全体通知", audience_units=[org.committee])
    page = client_for(people.secretary).get(f"/admin/notices/{everyone.pk}/").content.decode()
    assert "赵读者" in page and "钱书记" in page and "孙其他" not in page
    page = client_for(people.admin).get(f"/admin/notices/{everyone.pk}/").content.decode()
    assert "孙其他" in page


def test_members_list_only_their_own_notices(world, people):
    listed = [item["title"] for item in client_for(people.recipient).get(MEMBER_API + "notices/").json()]
    assert listed == ["缴纳十二月党费"]
    assert client_for(people.other_member).get(MEMBER_API + "notices/").json() == []


@pytest.mark.parametrize("endpoint", UNSAFE_API)
def test_unsafe_requests_without_the_csrf_token_are_refused(world, endpoint):
    person = world.people["recipient"]
    before = snapshot()
    response = request(endpoint, world, person, client=client_for(person, enforce_csrf=True))
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", [e for e in MATRIX if e.split(" ")[1].startswith("notices/")])
def test_an_initial_password_opens_none_of_them(world, endpoint):
    person = world.people["recipient"]
    person.must_change_password = True
    person.save(update_fields=["must_change_password"])
    response = request(endpoint, world, person)
    assert response.status_code == 403 and response.json()["code"] == "password_change_required"
