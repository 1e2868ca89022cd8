"""The member session endpoint: who am I, log in, log out (``/api/member/session/``)."""

import pytest
from django.test import Client

from cms.accounts.models import BranchRole, MemberStatus
from tests.factories import PASSWORD, MembershipFactory, OrganisationUnitFactory, UserFactory

URL = "/api/member/session/"
WRONG = {"detail": "用户名或密码不正确。", "code": "invalid"}


@pytest.fixture
def secretary(db):
    branch = OrganisationUnitFactory(name="第一党支部")
    membership = MembershipFactory(
        user__username="zhangsan",
        user__last_name="张",
        user__first_name="三",
        user__organisation=branch,
        status=MemberStatus.PROBATIONARY,
        role=BranchRole.SECRETARY,
    )
    return membership.user


def csrf_client() -> tuple[Client, str]:
    """A browser-like client: CSRF enforced, token read from the cookie GET session/ sets."""
    client = Client(enforce_csrf_checks=True)
    response = client.get(URL)
    return client, response.cookies["csrftoken"].value


def log_in(client, token, username, password, address="127.0.0.1"):
    return client.post(
        URL,
        {"username": username, "password": password},
        content_type="application/json",
        headers={"X-CSRFToken": token},
        REMOTE_ADDR=address,
    )


def test_anonymous_session_sets_the_csrf_cookie(db):
    response = Client().get(URL)
    assert response.status_code == 200
    assert response.json() == {"authenticated": False, "user": None}
    assert response.cookies["csrftoken"].value


def test_log_in_answers_who_i_am_and_rotates_session_and_token(secretary):
    client, token = csrf_client()
    session = client.session  # an anonymous session from before the log-in
    session["seen_intro"] = True
    session.save()
    client.cookies["sessionid"] = session.session_key

    response = log_in(client, token, "zhangsan", PASSWORD)

    assert response.status_code == 200
    assert response.json() == {
        "authenticated": True,
        "user": {
            "username": "zhangsan",
            "name": "张三",
            "organisation": "第一党支部",
            "status": "probationary",
            "status_label": "预备党员",
            "role": "secretary",
            "role_label": "支部书记",
            "is_secretary": True,
            "password_change_required": False,
            "badges": {},
        },
    }
    assert response.cookies["sessionid"].value != session.session_key  # no session fixation
    new_token = response.cookies["csrftoken"].value
    assert new_token != token
    # The page re-reads the token from the cookie: the new one works, and the session holds.
    assert client.get(URL).json()["user"]["username"] == "zhangsan"
    assert client.delete(URL, headers={"X-CSRFToken": new_token}).status_code == 204


def test_people_without_a_party_record_get_nulls(db):
    UserFactory(username="admin1", last_name="", first_name="")
    client, token = csrf_client()
    assert log_in(client, token, "admin1", PASSWORD).json()["user"] == {
        "username": "admin1",
        "name": "admin1",
        "organisation": None,
        "status": None,
        "status_label": None,
        "role": None,
        "role_label": None,
        "is_secretary": False,
        "password_change_required": False,
        "badges": {},
    }


@pytest.mark.parametrize(("username", "password"), [("zhangsan", "wrong-password"), ("nobody", PASSWORD)])
def test_wrong_credentials_get_one_chinese_message(secretary, username, password):
    client, token = csrf_client()
    response = log_in(client, token, username, password)
    assert response.status_code == 400
    assert response.json() == WRONG
    assert client.get(URL).json()["authenticated"] is False


def test_inactive_people_cannot_log_in(secretary):
    secretary.is_active = False
    secretary.save()
    client, token = csrf_client()
    assert log_in(client, token, "zhangsan", PASSWORD).json() == WRONG
    assert client.get(URL).json()["authenticated"] is False


def test_a_deactivated_persons_session_stops_working(secretary):
    client, token = csrf_client()
    log_in(client, token, "zhangsan", PASSWORD)
    secretary.is_active = False
    secretary.save()
    assert client.get("/api/member/courses/").status_code == 401
    assert client.get(URL).json() == {"authenticated": False, "user": None}


def test_missing_fields_are_named(db):
    client, token = csrf_client()
    response = client.post(URL, {"username": "  "}, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "请输入用户名。",
        "code": "invalid",
        "fields": {"username": ["请输入用户名。"], "password": ["请输入密码。"]},
    }


def test_log_out_ends_the_session(secretary):
    client, token = csrf_client()
    token = log_in(client, token, "zhangsan", PASSWORD).cookies["csrftoken"].value

    assert client.delete(URL, headers={"X-CSRFToken": token}).status_code == 204

    assert client.get(URL).json() == {"authenticated": False, "user": None}
    expired = client.get("/api/member/courses/")
    assert expired.status_code == 401
    assert expired.json() == {"detail": "登录已过期或尚未登录，请重新登录。", "code": "not_authenticated"}


def test_log_in_without_the_csrf_token_is_refused(secretary):
    client, _ = csrf_client()
    response = client.post(URL, {"username": "zhangsan", "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert client.get(URL).json()["authenticated"] is False


def test_five_failed_log_ins_lock_the_account_for_fifteen_minutes(secretary):
    client, token = csrf_client()
    for _ in range(4):
        assert log_in(client, token, "zhangsan", "wrong-password").status_code == 400
    assert log_in(client, token, "zhangsan", "wrong-password").status_code == 429  # the fifth locks

    response = log_in(client, token, "zhangsan", PASSWORD)  # even the right password waits

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert response.json() == {
        "detail": "登录失败次数过多，该账号（或您所在的网络）已被暂时锁定 15 分钟。请稍后再试，或联系管理员解锁。",
        "code": "locked",
    }
    assert client.get(URL).json()["authenticated"] is False
    # The lock is the account's, wherever the next try comes from …
    elsewhere, token2 = csrf_client()
    assert log_in(elsewhere, token2, "zhangsan", PASSWORD, address="10.9.9.9").status_code == 429
    # … and a colleague at the same address can still log in.
    colleague = UserFactory(username="lisi")
    assert log_in(client, token, colleague.username, PASSWORD).status_code == 200


def test_many_accounts_guessed_from_one_address_lock_that_address(db):
    client, token = csrf_client()
    statuses = [log_in(client, token, f"guess{n}", "123456").status_code for n in range(31)]
    assert statuses[:29] == [400] * 29
    assert statuses[29:] == [429, 429]
    UserFactory(username="wangwu")
    assert log_in(client, token, "wangwu", PASSWORD).status_code == 429  # from this address, nobody
    other, token2 = csrf_client()
    assert log_in(other, token2, "wangwu", PASSWORD, address="10.9.9.9").status_code == 200
