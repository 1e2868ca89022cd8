"""One log-in policy for the admin and the member area (cms/accounts/lockout.py): five
failures lock an account for fifteen minutes wherever they were typed; 管理员 can lift it."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cms.accounts.roles import ADMINISTRATOR, EDITOR
from tests.factories import PASSWORD, UserFactory
from tests.html import rows_by_first_cell

ADMIN_LOGIN = "/admin/login/"
SESSION = "/api/member/session/"


def admin_log_in(client, username, password):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password})


def member_log_in(username, password):
    client = Client()
    return client.post(SESSION, {"username": username, "password": password}, content_type="application/json")


@pytest.fixture
def people(home):
    return {
        "editor": UserFactory(username="editor", groups=[EDITOR]),
        "admin": UserFactory(username="admin1", groups=[ADMINISTRATOR]),
        "member": UserFactory(username="member"),
    }


def test_failures_in_the_admin_lock_the_member_area_too(client, people):
    for _ in range(4):
        assert admin_log_in(client, "member", "wrong").status_code == 200  # the form again
    locked = admin_log_in(client, "member", "wrong")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录已暂时锁定" in page and "15 分钟" in page

    assert admin_log_in(client, "member", PASSWORD).status_code == 429
    response = member_log_in("member", PASSWORD)
    assert response.status_code == 429 and response.json()["code"] == "locked"


def test_the_lock_ends_after_fifteen_minutes(people):
    for _ in range(5):
        member_log_in("member", "wrong")
    assert member_log_in("member", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))

    assert member_log_in("member", PASSWORD).status_code == 200


def test_an_administrator_sees_the_lock_and_lifts_it(client, people):
    for _ in range(5):
        member_log_in("member", "wrong")
    client.login(username="admin1", password=PASSWORD)

    listing = client.get(reverse("accounts_lockouts"))
    rows = rows_by_first_cell(listing)
    assert rows["账号"]["账号或地址"] == "member" and rows["账号"]["失败次数"] == "5"

    done = client.post(reverse("accounts_lockouts"), {"kind": "username", "value": "member"}, follow=True)
    assert "已解锁账号 member" in done.content.decode()
    assert member_log_in("member", PASSWORD).status_code == 200
    assert "当前没有被锁定" in client.get(reverse("accounts_lockouts")).content.decode()


def test_only_administrators_manage_locks(client, people):
    for _ in range(5):
        member_log_in("member", "wrong")
    client.login(username="editor", password=PASSWORD)
    for response in (
        client.get(reverse("accounts_lockouts")),
        client.post(reverse("accounts_lockouts"), {"kind": "username", "value": "member"}),
    ):
        # Wagtail answers a refused admin view with its dashboard and a message.
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert member_log_in("member", PASSWORD).status_code == 429, "the lock must still be there"
    assert reverse("accounts_lockouts") not in client.get(reverse("wagtailadmin_home")).content.decode()
