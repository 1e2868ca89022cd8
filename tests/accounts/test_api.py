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
    membership = MembershipFactory(user__username="zhangsan", user__last_name="张", user__first_name="三",
                                   user__organisation=branch, status=MemberStatus.PROBATIONARY,
                                   role=BranchRole.SECRETARY)
    return membership.user


def csrf_client() -> tuple[Client, str]:
    """A browser-like client: CSRF enforced, token read from the cookie GET session/ sets."""
    client = Client(enforce_csrf_checks=True)
    response = client.get(URL)
    return client, response.cookies["csrftoken"].value


def log_in(client, token, username, password):
    return client.post(URL, {"username": username, "password": password}, content_type="application/json",
                       headers={"X-CSRFToken": token})


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
    assert response.json() == {"authenticated": True, "user": {
        "username": "zhangsan", "name": "张三", "organisation": "第一党支部", "status": "probationary",
        "status_label": "预备党员", "role": "secretary", "role_label": "支部书记", "is_secretary": True}}
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
        "username": "admin1", "name": "admin1", "organisation": None, "status": None, "status_label": None,
        "role": None, "role_label": None, "is_secretary": False}


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
    assert response.json() == {"detail": "请输入用户名。", "code": "invalid",
                               "fields": {"username": ["请输入用户名。"], "password": ["请输入密码。"]}}


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


def test_repeated_failed_log_ins_are_throttled(secretary):
    client, token = csrf_client()
    for _ in range(5):
        assert log_in(client, token, "zhangsan", "wrong-password").status_code == 400

    response = log_in(client, token, "zhangsan", PASSWORD)  # even the right password waits

    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 60
    assert response.json() == {"detail": f"尝试次数过多，请 {wait} 秒后再试。", "code": "throttled"}
    assert client.get(URL).json()["authenticated"] is False
    # A colleague at the same address can still log in.
    colleague = UserFactory(username="lisi")
    assert log_in(client, token, colleague.username, PASSWORD).status_code == 200


def test_many_accounts_from_one_address_are_throttled_too(db):
    client, token = csrf_client()
    statuses = [log_in(client, token, f"guess{n}", "123456").status_code for n in range(61)]
    assert statuses[:60] == [400] * 60
    assert statuses[60] == 429
