"""Every delivery admin view and member endpoint × every kind of person, in one table.

管理员 and 推送管理 manage channels; a serving 支部书记 sees their own unit's channels and log
(read-only); 答复 (committee-office answerers) and plain members see nothing of it.
Expectations: "login" (sent to the admin log-in), "refused" (Wagtail's no-permission
redirect to the dashboard), "done" (a POST that did its work and redirected), or a status.
A POST that did its work leaves one audit entry naming the person; nothing else leaves any,
and only 管理员 read the audit log."""

from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup

from cms.accounts.models import BranchRole, MemberStatus
from cms.accounts.roles import ANSWERER
from cms.audit.models import AuditEntry
from cms.delivery import services
from cms.delivery.models import Channel, Delivery, EmailPreference
from cms.delivery.roles import CHANNEL_MANAGER
from tests.access import assert_refused_in_admin, assert_sent_to_admin_log_in
from tests.factories import UserFactory
from tests.study.conftest import administrator, client_for, member

from .conftest import DRILL

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "member", "other_secretary", "secretary", "answerer", "manager", "admin"]
L, R, D = "login", "refused", "done"
MATRIX = {
    "GET /admin/delivery/channels/": (L, L, 200, 200, R, 200, 200),
    "GET /admin/delivery/channels/add/": (L, L, R, R, R, 200, 200),
    "POST /admin/delivery/channels/add/": (L, L, R, R, R, D, D),
    "GET /admin/delivery/channels/{branch}/": (L, L, R, R, R, 200, 200),
    "POST /admin/delivery/channels/{branch}/": (L, L, R, R, R, D, D),
    "POST /admin/delivery/channels/{branch}/test/": (L, L, R, R, R, D, D),
    "GET /admin/delivery/channels/{branch}/delete/": (L, L, R, R, R, 200, 200),
    "POST /admin/delivery/channels/{branch}/delete/": (L, L, R, R, R, D, D),
    "GET /admin/delivery/log/": (L, L, 200, 200, R, 200, 200),
    "GET /admin/audit/?obj=channel": (L, L, R, R, R, R, 200),
    "GET /api/member/notifications/email/": (401, 200, 200, 200, 200, 200, 200),
    "PUT /api/member/notifications/email/": (401, 200, 200, 200, 200, 200, 200),
}
CASES = [(e, p, expected[i]) for e, expected in MATRIX.items() for i, p in enumerate(PERSONAS)]


@pytest.fixture
def world(org, webhook_server, channel):
    people = {
        "anonymous": None,
        "member": member(org.first, username="m1", email="m1@example.cn"),
        "other_secretary": member(org.second, MemberStatus.FULL, BranchRole.SECRETARY, username="sec2"),
        "secretary": member(org.first, MemberStatus.FULL, BranchRole.SECRETARY, username="sec1"),
        "answerer": UserFactory(username="office", groups=[ANSWERER]),
        "manager": UserFactory(username="push", groups=[CHANNEL_MANAGER]),
        "admin": administrator(username="admin1"),
    }
    branch = channel(webhook_server.address("/ok"), name="一支部群", unit=org.first)
    committee = channel(webhook_server.address("/ok"), name="党委群")
    second = channel(webhook_server.address("/ok"), name="二支部群", unit=org.second)
    wants = UserFactory(email="wants@example.cn")
    EmailPreference.objects.create(user=wants, notices=True)
    services.announce(DRILL, {"title": "一支部的通知", "units": [org.first]}, recipients=[wants])
    services.announce(DRILL, {"title": "二支部的通知", "units": [org.second]})
    return SimpleNamespace(
        people=people, branch=branch, committee=committee, second=second, webhook_server=webhook_server
    )


def request(endpoint, world, person):
    method, url = endpoint.split(" ")
    url = url.format(branch=world.branch.pk)
    client = client_for(person)
    if method == "GET":
        return url, client.get(url)
    if method == "PUT":
        return url, client.put(url, {"notices": False, "answers": False}, format="json")
    body = {}
    if url.endswith(("/add/", f"/{world.branch.pk}/")):
        body = {
            "name": "新渠道",
            "kind": "webhook",
            "address": world.webhook_server.address("/ok?token=abc"),
            "topics": ["publish"],
            "enabled": "on",
        }
    return url, client.post(url, body)


@pytest.mark.parametrize(("endpoint", "persona", "expected"), CASES, ids=[f"{e} · {p}" for e, p, _ in CASES])
def test_permission_matrix(world, endpoint, persona, expected):
    before = list(Channel.objects.order_by("pk").values_list("name", "address", "secret"))
    audited = AuditEntry.objects.filter(object_type="channel").count()
    url, response = request(endpoint, world, world.people[persona])
    if expected == L:
        assert_sent_to_admin_log_in(response, url)
    elif expected == R:
        assert_refused_in_admin(response)
    elif expected == D:
        assert response.status_code == 302 and response["Location"].startswith("/admin/delivery/channels/")
    else:
        assert response.status_code == expected, response.content[:300]
    if expected in (L, R, 401):
        assert list(Channel.objects.order_by("pk").values_list("name", "address", "secret")) == before
        assert world.webhook_server.requests == []  # no test message went out
    entries = AuditEntry.objects.filter(object_type="channel").order_by("seq")[audited:]
    expected_actors = [world.people[persona].username] if expected == D else []
    assert [entry.actor_username for entry in entries] == expected_actors


def names(html: str, selector: str) -> set[str]:
    return {td.get_text(strip=True) for td in BeautifulSoup(html, "html.parser").select(selector)}


def test_a_secretary_sees_only_their_units_channels_and_log(world):
    client = client_for(world.people["secretary"])
    channels = client.get("/admin/delivery/channels/").content.decode()
    assert names(channels, "td.dj-card-title:not([colspan])") == {"一支部群"}
    assert "添加推送渠道" not in channels and f"/admin/delivery/channels/{world.branch.pk}/" not in channels
    log = client.get("/admin/delivery/log/").content.decode()
    assert names(log, "td[data-label=渠道]") == {"一支部群"}  # no committee channel, no email rows
    assert "wants@example.cn" not in log
    assert client.get(f"/admin/delivery/log/?channel={world.second.pk}").status_code == 200
    assert "二支部的通知" not in client.get(f"/admin/delivery/log/?channel={world.second.pk}").content.decode()


def test_a_manager_sees_everything_including_email(world):
    log = client_for(world.people["manager"]).get("/admin/delivery/log/").content.decode()
    assert {"一支部群", "党委群", "二支部群", "邮件：wants@example.cn"} <= names(log, "td[data-label=渠道]")
    assert Delivery.objects.count() == 5
