"""TOTP second factor for staff (cms/accounts/otp.py), through the real views: enrolment with a
code computed from the device's key, the code step after the password, the setting that
makes it required for 管理员, the lock-out, recovery by an administrator, and the ways round
it that must not work."""

import base64
import re

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cms.accounts import otp
from cms.accounts.roles import ADMINISTRATOR, EDITOR
from tests.access import assert_refused_in_admin
from tests.factories import PASSWORD, UserFactory

ADMIN_LOGIN = "/admin/login/"
VERIFY = "/admin/account/otp/verify/"
ENROL = "/admin/account/otp/"
DEVICES = "/admin/accounts/otp-devices/"
SESSION = "/api/member/session/"


def code(device, ahead=0):
    """What the phone shows now (``ahead`` steps later: a code not used yet)."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead):06d}"


def unthrottle(device):
    """The device waits 1, 2, 4 … s after a wrong code; tests do not sleep through it."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)


def admin_log_in(username, password=PASSWORD, next_url=None):
    client = Client()
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    response = client.post(ADMIN_LOGIN, data)
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def enrolled(user):
    """A person who enrolled earlier (the enrolment itself is tested through the views)."""
    return TOTPDevice.objects.create(user=user, name=otp.DEVICE_NAME, confirmed=True)


@pytest.fixture
def editor(home):
    return UserFactory(username="editor", groups=[EDITOR])


@pytest.fixture
def administrator(home):
    return UserFactory(username="admin1", groups=[ADMINISTRATOR])


def test_staff_enrol_with_a_qr_code_drawn_here_and_a_code(editor):
    client = admin_log_in("editor")

    page = client.get(ENROL)
    html = page.content.decode()
    assert page.status_code == 200 and "启用双重验证" in html
    assert "<svg" in html and "身份验证器二维码" in html  # inline SVG, nothing fetched elsewhere
    assert not re.search(r"""src=["']https?://""", html)
    device = TOTPDevice.objects.get(user=editor)
    assert not device.confirmed
    assert (
        "".join(re.search(r"data-otp-secret>([A-Z2-7 ]+)<", html).group(1).split())
        in base64.b32encode(device.bin_key).decode()
    )
    assert client.get(ENROL).content.decode().count(otp.secret_for_typing(device)) == 1  # same device on reload

    wrong = client.post(ENROL, {"code": "000000" if code(device) != "000000" else "111111"})
    assert "验证码不正确，请核对身份验证器上当前显示的 6 位数字后重试。" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    unthrottle(device)

    done = client.post(ENROL, {"code": code(device)}, follow=True)

    assert "双重验证已启用" in done.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/pages/").status_code == 200  # this session proved the code already

    # From now on the admin asks for the code after the password.
    fresh = admin_log_in("editor", next_url="/admin/pages/")
    assert fresh.get("/admin/pages/")["Location"] == VERIFY + "?next=%2Fadmin%2Fpages%2F"
    step = fresh.get(VERIFY + "?next=/admin/pages/")
    assert step.status_code == 200 and "请输入验证码" in step.content.decode()
    answer = fresh.post(VERIFY, {"code": code(device, ahead=1), "next": "/admin/pages/"})
    assert answer.status_code == 302 and answer["Location"] == "/admin/pages/"
    assert fresh.get("/admin/pages/").status_code == 200


def test_wrong_codes_are_refused_in_chinese_and_lock_the_account(editor):
    device = enrolled(editor)
    client = admin_log_in("editor")

    empty = client.post(VERIFY, {"code": ""})
    assert "请输入 6 位验证码。" in empty.content.decode()
    for attempt in range(4):
        wrong = client.post(VERIFY, {"code": "12345" + str(attempt)})
        assert wrong.status_code == 200
        assert "验证码不正确" in wrong.content.decode()
        assert client.get("/admin/pages/").status_code == 302
        unthrottle(device)

    locked = client.post(VERIFY, {"code": "999999"})

    assert locked.status_code == 429 and "登录已暂时锁定" in locked.content.decode()
    assert client.get("/admin/pages/")["Location"].startswith(ADMIN_LOGIN)  # the half log-in ended
    # The password alone does not get back in, nor does the right code afterwards.
    again = Client().post(ADMIN_LOGIN, {"username": "editor", "password": PASSWORD})
    assert again.status_code == 429


def test_a_fresh_password_log_in_does_not_clear_wrong_codes(editor):
    """Four wrong codes, log in again, four more: still eight failures, so locked."""
    device = enrolled(editor)
    for _ in range(2):
        client = admin_log_in("editor")
        for attempt in range(3):
            client.post(VERIFY, {"code": f"00000{attempt}" if code(device) != f"00000{attempt}" else "999999"})
            unthrottle(device)
    assert Client().post(ADMIN_LOGIN, {"username": "editor", "password": PASSWORD}).status_code == 429


def test_the_device_backs_off_between_tries(editor):
    device = enrolled(editor)
    client = admin_log_in("editor")
    client.post(VERIFY, {"code": "000000" if code(device) != "000000" else "111111"})
    client.post(VERIFY, {"code": "000000" if code(device) != "000000" else "111111"})

    right_too_soon = client.post(VERIFY, {"code": code(device)})

    assert "秒后再试" in right_too_soon.content.decode()
    assert client.get("/admin/pages/").status_code == 302


def test_a_used_code_cannot_be_replayed(editor):
    device = enrolled(editor)
    first = admin_log_in("editor")
    used = code(device)
    assert first.post(VERIFY, {"code": used})["Location"] == "/admin/"

    second = admin_log_in("editor")
    replay = second.post(VERIFY, {"code": used})
    assert replay.status_code == 200 and "验证码不正确" in replay.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/pages/",
        "/admin/users/",
        "/admin/images/",
        "/admin/accounts/lockouts/",
        "/admin/api/main/pages/",
    ],
)
def test_no_admin_page_before_the_code(administrator, path):
    enrolled(administrator)
    client = admin_log_in("admin1")

    response = client.get(path)

    assert response.status_code == 302 and response["Location"].startswith(VERIFY + "?next=")


def test_enrolling_again_is_no_way_round_the_code(editor):
    device = enrolled(editor)
    client = admin_log_in("editor")

    response = client.get(ENROL)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    client.post(ENROL, {"code": "123456"})
    assert list(TOTPDevice.objects.filter(user=editor)) == [device]


def member_log_in(client, data):
    return client.post(SESSION, data, content_type="application/json")


def test_the_member_log_in_asks_staff_for_the_code_too(editor):
    """The member API is no way round the second factor: staff with a device give the code
    there as well, and only then does the session open anything."""
    device = enrolled(editor)
    client = Client()

    no_code = member_log_in(client, {"username": "editor", "password": PASSWORD})
    assert no_code.status_code == 400
    assert no_code.json()["code"] == "otp_required"
    assert no_code.json()["fields"]["code"] == ["您已启用双重验证，请输入身份验证器上的 6 位验证码。"]
    assert client.get(SESSION).json()["authenticated"] is False
    assert client.get("/admin/pages/")["Location"].startswith(ADMIN_LOGIN)

    wrong = member_log_in(client, {"username": "editor", "password": PASSWORD, "code": "12345"})
    assert wrong.status_code == 400 and wrong.json()["detail"] == otp.WRONG_CODE
    assert client.get(SESSION).json()["authenticated"] is False
    unthrottle(device)

    right = member_log_in(client, {"username": "editor", "password": PASSWORD, "code": code(device)})
    assert right.status_code == 200 and right.json()["authenticated"] is True
    assert client.get("/api/member/courses/").status_code == 200


def test_a_half_log_in_opens_no_data_anywhere(editor):
    """Password right in the admin, code not given yet: the session reaches neither the
    member API's data, nor documents or media, nor the staff API."""
    enrolled(editor)
    client = admin_log_in("editor")

    assert client.get(SESSION).json()["authenticated"] is True  # who am I: fine
    for path in ("/api/member/courses/", "/api/member/progress/", "/api/site-builds/", "/api/member/password/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json() == {"detail": otp.API_DETAIL_VERIFY, "code": "otp_required"}
    for path in (
        "/documents/1/minutes.pdf",
        "/media/images/photo.max-1200x1200.png",
        "/media/original_images/photo.png",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY + "?next="), path


def test_administrators_who_must_enrol_cannot_use_the_member_log_in_first(administrator, settings):
    settings.OTP_REQUIRED_FOR_ADMINISTRATORS = True
    client = Client()

    response = member_log_in(client, {"username": "admin1", "password": PASSWORD})

    assert response.status_code == 403 and response.json()["code"] == "otp_enrolment_required"
    assert client.get(SESSION).json()["authenticated"] is False


def test_staff_without_a_device_use_the_password_alone_unless_required(administrator, settings):
    settings.OTP_REQUIRED_FOR_ADMINISTRATORS = False
    assert admin_log_in("admin1").get("/admin/pages/").status_code == 200


def test_administrators_must_enrol_when_the_setting_says_so(administrator, editor, settings):
    settings.OTP_REQUIRED_FOR_ADMINISTRATORS = True
    client = admin_log_in("admin1")

    for path in ("/admin/", "/admin/pages/", "/admin/accounts/lockouts/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(ENROL + "?next="), path
    assert client.get("/api/site-builds/").json()["code"] == "otp_enrolment_required"
    page = client.get(ENROL + "?next=/admin/pages/")
    assert "管理员必须启用双重验证后才能继续使用管理后台。" in page.content.decode()
    device = TOTPDevice.objects.get(user=administrator)
    done = client.post(ENROL, {"code": code(device), "next": "/admin/pages/"})
    assert done["Location"] == "/admin/pages/"
    assert client.get("/admin/pages/").status_code == 200
    # An administrator cannot switch it off for themselves.
    client.post(ENROL, {"code": code(device, ahead=1)})
    assert TOTPDevice.objects.filter(user=administrator, confirmed=True).exists()

    # Editors are not administrators: optional for them.
    assert admin_log_in("editor").get("/admin/pages/").status_code == 200


def test_an_administrator_removes_a_lost_device_and_the_removal_is_announced(administrator, editor):
    device = enrolled(editor)
    heard = []

    def receiver(sender, user, by, request, **kwargs):
        heard.append((user.username, by.username))

    otp.device_removed.connect(receiver)
    try:
        client = admin_log_in("admin1")
        listing = client.get(DEVICES)
        assert listing.status_code == 200 and "editor" in listing.content.decode()

        done = client.post(DEVICES, {"user": editor.pk}, follow=True)
    finally:
        otp.device_removed.disconnect(receiver)

    assert "已移除" in done.content.decode()
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert heard == [("editor", "admin1")]
    assert admin_log_in("editor").get("/admin/pages/").status_code == 200  # password alone again


def test_only_administrators_remove_devices(administrator, editor):
    device = enrolled(administrator)
    client = admin_log_in("editor")

    assert_refused_in_admin(client.get(DEVICES))
    client.post(DEVICES, {"user": administrator.pk})

    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_staff_switch_their_own_device_off_with_a_current_code(editor):
    device = enrolled(editor)
    client = admin_log_in("editor")
    client.post(VERIFY, {"code": code(device)})

    refused = client.post(ENROL, {"code": "000000" if code(device, 1) != "000000" else "111111"})
    assert "验证码不正确" in refused.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    unthrottle(device)

    client.post(ENROL, {"code": code(device, ahead=1)})
    assert not TOTPDevice.objects.filter(user=editor).exists()


def test_members_are_not_asked_for_a_code(home):
    UserFactory(username="member")
    client = Client()
    client.post(SESSION, {"username": "member", "password": PASSWORD}, content_type="application/json")
    assert client.get("/api/member/courses/").status_code == 200


def test_the_code_comes_before_the_initial_password_change(editor):
    """A reset password with a device: the code first (the reset password alone opens
    nothing), then 请先修改初始密码, then the page asked for."""
    device = enrolled(editor)
    editor.must_change_password = True
    editor.save(update_fields=["must_change_password"])
    client = admin_log_in("editor")

    assert client.get("/admin/pages/")["Location"].startswith(VERIFY)
    assert client.get("/admin/account/initial-password/")["Location"].startswith(VERIFY)
    after_code = client.post(VERIFY, {"code": code(device), "next": "/admin/pages/"})
    assert after_code["Location"] == "/admin/pages/"
    assert client.get("/admin/pages/")["Location"].startswith("/admin/account/initial-password/?next=")
    done = client.post(
        "/admin/account/initial-password/",
        {
            "old_password": PASSWORD,
            "new_password": "Wode-mima-77",
            "new_password_again": "Wode-mima-77",
            "next": "/admin/pages/",
        },
    )
    assert done["Location"] == "/admin/pages/"
    assert client.get("/admin/pages/").status_code == 200


def test_the_account_page_offers_the_second_factor(editor):
    page = admin_log_in("editor").get("/admin/account/")
    assert page.status_code == 200 and ENROL in page.content.decode() and "双重验证" in page.content.decode()
