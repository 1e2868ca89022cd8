"""Initial passwords are changed by their owner before anything else (cms/accounts/first_login.py):
imported accounts, accounts an administrator creates or whose password they reset, and demo
accounts under production settings. Everything goes through the real views."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cms.accounts import services
from cms.accounts.models import User
from cms.accounts.roles import ADMINISTRATOR, EDITOR
from tests.factories import PASSWORD, OrganisationUnitFactory, UserFactory

ADMIN_LOGIN = "/admin/login/"
SESSION = "/api/member/session/"
PASSWORD_API = "/api/member/password/"
CHANGE = "/admin/account/initial-password/"
INITIAL = "Chushi-2026!"
NEW = "Wode-mima-77"
ROSTER = "姓名,工号,支部,身份\n张三,1001,第一党支部,正式党员\n".encode()


@pytest.fixture
def administrator(home):
    return UserFactory(username="admin1", groups=[ADMINISTRATOR])


@pytest.fixture
def admin_client(administrator):
    client = Client()
    assert client.post(ADMIN_LOGIN, {"username": "admin1", "password": PASSWORD}).status_code == 302
    return client


def set_password_in_admin(admin_client, user, password=INITIAL, **changes):
    """What an administrator does under 用户 → 编辑: type a new password for the person."""
    data = {
        "username": user.username,
        "email": user.email or f"{user.username}@example.com",
        "first_name": user.first_name or "三",
        "last_name": user.last_name or "张",
        "password1": password,
        "password2": password,
        "is_active": "on",
        "groups": [group.pk for group in user.groups.all()],
        **changes,
    }
    response = admin_client.post(reverse("wagtailusers_users:edit", args=[user.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    return user


def member_client(username, password):
    client = Client()
    response = client.post(SESSION, {"username": username, "password": password}, content_type="application/json")
    assert response.status_code == 200, response.content
    return client, response.json()


# ---------------------------------------------------------------- imported member, member area


def test_imported_member_changes_the_initial_password_before_seeing_any_data(admin_client):
    OrganisationUnitFactory(name="第一党支部")
    report = services.import_people(ROSTER, dry_run=False, by=None)
    assert report.ok
    person = User.objects.get(username="1001")
    assert person.must_change_password and not person.has_usable_password()
    set_password_in_admin(admin_client, person)  # the branch hands out a first password

    client, session = member_client("1001", INITIAL)
    assert session["user"]["password_change_required"] is True

    for path in ("/api/member/courses/", "/api/member/progress/"):
        refused = client.get(path)
        assert refused.status_code == 403
        assert refused.json()["code"] == "password_change_required"
        assert "请先修改初始密码" in refused.json()["detail"]
    # A private document sends the browser to the member area, which shows the form first.
    document = client.get("/documents/1/minutes.pdf")
    assert document.status_code == 302 and document["Location"].startswith("/member/?next=%2Fdocuments%2F1%2F")
    image = client.get("/media/original_images/photo.png")
    assert image.status_code == 302 and image["Location"].startswith("/member/?next=%2Fmedia%2F")

    same = client.post(
        PASSWORD_API, {"old_password": INITIAL, "new_password": INITIAL}, content_type="application/json"
    )
    assert same.status_code == 400
    assert same.json()["fields"]["new_password"] == ["新密码不能与当前（初始）密码相同。"]
    weak = client.post(
        PASSWORD_API, {"old_password": INITIAL, "new_password": "12345678"}, content_type="application/json"
    )
    assert weak.status_code == 400
    assert "密码须包含大写字母、小写字母、数字和符号中的至少 3 类。" in weak.json()["fields"]["new_password"]
    wrong = client.post(
        PASSWORD_API, {"old_password": "guess-Guess-1", "new_password": NEW}, content_type="application/json"
    )
    assert wrong.status_code == 400 and wrong.json()["fields"]["old_password"] == ["当前密码不正确。"]
    assert client.get("/api/member/courses/").status_code == 403  # nothing changed so far

    changed = client.post(PASSWORD_API, {"old_password": INITIAL, "new_password": NEW}, content_type="application/json")

    assert changed.status_code == 200, changed.content
    assert changed.json()["user"]["password_change_required"] is False
    assert client.get("/api/member/courses/").status_code == 200  # the same session goes on
    person.refresh_from_db()
    assert not person.must_change_password and person.check_password(NEW)
    _, again = member_client("1001", NEW)
    assert again["user"]["password_change_required"] is False


def test_the_password_endpoint_needs_a_log_in(db):
    response = Client().post(PASSWORD_API, {"old_password": "x", "new_password": NEW}, content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_wrong_current_passwords_count_towards_the_lock_out(home):
    person = UserFactory(username="member", must_change_password=True)
    client, _ = member_client("member", PASSWORD)
    for _ in range(4):
        response = client.post(
            PASSWORD_API, {"old_password": "wrong", "new_password": NEW}, content_type="application/json"
        )
        assert response.status_code == 400
    locked = client.post(PASSWORD_API, {"old_password": "wrong", "new_password": NEW}, content_type="application/json")
    assert locked.status_code == 429 and locked.json()["code"] == "locked"
    # Even the right one is refused now, as at the log-in.
    right = client.post(PASSWORD_API, {"old_password": PASSWORD, "new_password": NEW}, content_type="application/json")
    assert right.status_code == 429
    person.refresh_from_db()
    assert person.must_change_password and person.check_password(PASSWORD)


# ---------------------------------------------------------------- accounts an administrator makes


def test_an_account_created_in_the_admin_must_change_its_password_there(admin_client, home):
    from django.contrib.auth.models import Group

    response = admin_client.post(
        reverse("wagtailusers_users:add"),
        {
            "username": "newed",
            "email": "newed@example.com",
            "first_name": "编辑",
            "last_name": "赵",
            "password1": INITIAL,
            "password2": INITIAL,
            "groups": [Group.objects.get(name=EDITOR).pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="newed").must_change_password

    client = Client()
    logged_in = client.post(ADMIN_LOGIN, {"username": "newed", "password": INITIAL, "next": "/admin/pages/"})
    assert logged_in.status_code == 302
    # Every admin page, and the staff API, send the person to the form instead.
    for path in ("/admin/", "/admin/pages/", "/admin/images/", "/admin/account/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(CHANGE + "?next="), (path, response["Location"])
    assert client.get("/api/site-builds/").json()["code"] == "password_change_required"

    form = client.get(CHANGE + "?next=/admin/pages/")
    page = form.content.decode()
    assert form.status_code == 200 and "请先修改初始密码" in page and "当前密码（初始密码）" in page

    same = client.post(
        CHANGE,
        {"old_password": INITIAL, "new_password": INITIAL, "new_password_again": INITIAL, "next": "/admin/pages/"},
    )
    assert same.status_code == 200 and "新密码不能与当前（初始）密码相同。" in same.content.decode()
    mismatch = client.post(
        CHANGE, {"old_password": INITIAL, "new_password": NEW, "new_password_again": NEW + "x", "next": "/admin/pages/"}
    )
    assert "两次输入的新密码不一致。" in mismatch.content.decode()
    assert client.get("/admin/pages/").status_code == 302

    done = client.post(
        CHANGE, {"old_password": INITIAL, "new_password": NEW, "new_password_again": NEW, "next": "/admin/pages/"}
    )

    assert done.status_code == 302 and done["Location"] == "/admin/pages/"  # where they were going
    assert client.get("/admin/pages/").status_code == 200
    assert not User.objects.get(username="newed").must_change_password


def test_the_change_form_does_not_send_people_to_another_host(home):
    UserFactory(username="member", groups=[EDITOR], must_change_password=True)
    client = Client()
    client.post(ADMIN_LOGIN, {"username": "member", "password": PASSWORD})
    done = client.post(
        CHANGE,
        {"old_password": PASSWORD, "new_password": NEW, "new_password_again": NEW, "next": "https://evil.example/"},
    )
    assert done.status_code == 302 and done["Location"] == "/admin/"


def test_an_administrator_resetting_a_password_sets_the_flag(admin_client, administrator):
    person = UserFactory(username="editor", groups=[EDITOR])
    assert not person.must_change_password

    edited = admin_client.post(
        reverse("wagtailusers_users:edit", args=[person.pk]),
        {
            "username": "editor",
            "email": "e@example.com",
            "first_name": "改名",
            "last_name": "王",
            "password1": "",
            "password2": "",
            "is_active": "on",
            "groups": [g.pk for g in person.groups.all()],
        },
    )
    assert edited.status_code == 302
    person.refresh_from_db()
    assert person.first_name == "改名" and not person.must_change_password  # nobody typed a password

    set_password_in_admin(admin_client, person)
    assert person.must_change_password and person.check_password(INITIAL)
    # Their own password, set by themselves in the same form, is not an initial one.
    set_password_in_admin(admin_client, administrator, password="Eigen-mima-88")
    administrator.refresh_from_db()
    assert not administrator.must_change_password


def test_a_reset_password_cannot_be_kept(admin_client):
    """The new password must differ from the initial one even through the policy's history."""
    person = UserFactory(username="member")
    set_password_in_admin(admin_client, person)
    client, _ = member_client("member", INITIAL)
    response = client.post(
        PASSWORD_API, {"old_password": INITIAL, "new_password": PASSWORD}, content_type="application/json"
    )  # their password before the reset
    assert response.status_code == 400
    assert response.json()["fields"]["new_password"] == ["不能使用最近 5 次用过的密码。"]


# ---------------------------------------------------------------- demo accounts


def test_demo_accounts_are_flagged_only_where_initial_passwords_must_change(home, settings):
    settings.INITIAL_PASSWORD_CHANGE_REQUIRED = True
    call_command("load_demo", verbosity=0)

    demo = User.objects.filter(email__endswith="@example.com")
    assert demo.count() >= 5
    assert set(demo.values_list("must_change_password", flat=True)) == {True}

    client = Client()
    client.post(ADMIN_LOGIN, {"username": "admin", "password": "Dangjian@2026"})
    assert client.get("/admin/pages/")["Location"].startswith(CHANGE)


def test_dev_demo_accounts_stay_usable(home, settings):
    settings.INITIAL_PASSWORD_CHANGE_REQUIRED = False
    call_command("load_demo", verbosity=0)

    assert not User.objects.filter(must_change_password=True).exists()
    client = Client()
    client.post(ADMIN_LOGIN, {"username": "admin", "password": "Dangjian@2026"})
    assert client.get("/admin/pages/").status_code == 200


@pytest.mark.parametrize(("module", "expected"), [("cms.settings.production", "True"), ("cms.settings.dev", "False")])
def test_production_settings_require_the_change_and_dev_settings_do_not(module, expected, tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {
        **{k: v for k, v in os.environ.items() if k != "INITIAL_PASSWORD_CHANGE_REQUIRED"},
        "DJANGO_SETTINGS_MODULE": module,
        "DJANGO_SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "VAR_DIR": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.INITIAL_PASSWORD_CHANGE_REQUIRED)"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == expected


def test_the_schema_documents_the_refusal(db):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    courses = schema["paths"]["/api/member/courses/"]["get"]["responses"]
    assert "password_change_required" in courses["403"]["description"]
    assert "403" not in schema["paths"]["/api/member/session/"]["get"]["responses"]
    assert "otp_required" in schema["paths"]["/api/site-builds/"]["get"]["responses"]["403"]["description"]
