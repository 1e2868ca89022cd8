"""Optional TOTP second factor for staff (django-otp, its TOTP plugin).

* **Who**: anyone who may use the admin (``wagtailadmin.access_admin``). A staff member
  enrols under 账号设置 → 双重验证 (``views_auth.OTPEnrolView``): a QR code drawn on our own
  server (build_scripts.qr_code, inline SVG; nothing is loaded from another host), confirmed with a code.
* **Log-in**: the password step is Wagtail's own; then, for a staff member with a confirmed
  device, ``SecondFactorMiddleware`` sends every admin page to the code page
  (``views_auth.OTPVerifyView``) until the session is verified (``django_otp.login``).
  Meanwhile the API (but the session endpoint, health and schema) answers
  ``403 otp_required`` and documents and media send to the code page: the person's roles
  would open them (管理员 see every course, editors every file in their collections).
* **Required for 管理员**: with ``OTP_REQUIRED_FOR_ADMINISTRATORS`` on, an administrator
  without a device is sent to enrolment before anything else.
* **The member log-in**: no way round it either. ``POST /api/member/session/`` of a staff
  member with a device needs ``code`` too (``400 otp_required`` asks for it, the page then
  shows a code field) and verifies the session; a 管理员 who must enrol gets
  ``403 otp_enrolment_required`` until they have.
* **Failures**: a wrong code is a failed log-in for django-axes (``lockout.count_failure``):
  five lock the account like five wrong passwords, and a password log-in no longer clears
  the count while the second step is pending (``lockout.LockoutHandler``). The device's
  own back-off (1, 2, 4 … seconds between tries) comes on top.
* **Recovery**: a 管理员 removes another person's device (``remove_device``) under
  双重验证设备; the ``device_removed`` and ``device_confirmed`` signals are the hooks for the
  audit log.
"""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from build_scripts.qr_code import qr_svg as draw_qr_svg

from . import selectors
from .models import User

DEVICE_NAME = "身份验证器"
WRONG_CODE = "验证码不正确，请核对身份验证器上当前显示的 6 位数字后重试。"
EMPTY_CODE = "请输入 6 位验证码。"
MEMBER_CODE_NEEDED = "您已启用双重验证，请输入身份验证器上的 6 位验证码。"
TOO_SOON = "验证码输错次数较多，请 {seconds} 秒后再试。"
API_CODE_VERIFY = "otp_required"
API_DETAIL_VERIFY = "请先在管理后台完成双重验证（输入身份验证器上的 6 位验证码）。"
API_CODE_ENROL = "otp_enrolment_required"
API_DETAIL_ENROL = "管理员须先在管理后台启用双重验证。"

#: Sent after a person confirmed a new device (``user``, ``device``, ``request``).
device_confirmed = Signal()
#: Sent after a device was removed (``user``: whose, ``by``: who removed it, ``request``).
device_removed = Signal()

#: What a half-signed-in staff member (password right, code not yet) may still reach outside
#: the admin's own log-in pages: who am I and log-out (the member log-in asks for the code
#: itself), monitoring and the schema. Not the member API's data, documents or media: the
#: staff member's roles would open them (管理员 see every course, editors every file).
OPEN_BEFORE_SECOND_FACTOR = ("/api/member/session/", "/api/health/", "/api/schema/", "/api/docs/", "/api/forms/")
GUARDED_PREFIXES = ("/admin/", "/api/", "/documents/", "/media/")
#: Set in the session at log-in for people who may use the admin: only their requests pay
#: for the device look-up, members' cost nothing.
STAFF_SESSION_KEY = "_dj_staff"


def note_staff_session(sender, request, user, **kwargs):
    """``user_logged_in`` receiver (signals.py)."""
    if request is not None and hasattr(request, "session") and is_staff(user):
        request.session[STAFF_SESSION_KEY] = True


def is_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm("wagtailadmin.access_admin"))


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def must_enrol(user: User) -> bool:
    return bool(
        settings.OTP_REQUIRED_FOR_ADMINISTRATORS
        and selectors.is_administrator(user)
        and not user_has_device(user, confirmed=True)
    )


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device an enrolment shows; one per person, kept until confirmed so a
    reload shows the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code, drawn here (no outside host)."""
    return draw_qr_svg(device.config_url, label="身份验证器二维码", size=200)


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for authenticator apps without a camera."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def clean_code(code: str | None) -> str:
    return "".join((code or "").split())


def confirm_device(request, device: TOTPDevice, code: str) -> bool:
    """Check ``code`` against the pending device; on success the device is confirmed, older
    devices of the person are removed and the session is verified."""
    code = clean_code(code)
    if not code.isdigit() or not device.verify_token(code):
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    otp_login(request, device)
    device_confirmed.send(sender=TOTPDevice, user=device.user, device=device, request=request)
    return True


def check_code(device: TOTPDevice | None, code: str) -> bool:
    """Whether ``code`` is the device's current code (each code works once)."""
    code = clean_code(code)
    if device is None or not code.isdigit():
        return False
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        return device.verify_token(code)


def verify(request, code: str) -> bool:
    """Check ``code`` against the signed-in person's confirmed device; verifies the session."""
    device = confirmed_device(request.user)
    if not check_code(device, code):
        return False
    otp_login(request, device)
    return True


def seconds_until_next_try(device: TOTPDevice | None) -> int:
    """The device's own back-off after wrong codes (0 when a try is allowed now)."""
    if device is None:
        return 0
    allowed, data = device.verify_is_allowed()
    if allowed or not data or "locked_until" not in data:
        return 0
    return max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)


def remove_device(user: User, *, by: User, request=None) -> int:
    """Remove every second-factor device of ``user`` (a lost phone). The person logs in with
    the password alone next time (or, as a 管理员 with the setting on, enrols again at once).
    Returns how many devices went; sends ``device_removed`` for the audit log."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    if removed:
        device_removed.send(sender=TOTPDevice, user=user, by=by, request=request)
    return removed


def staff_with_devices():
    """People with a confirmed device, for the administrators' list."""
    ids = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    return User.objects.filter(pk__in=ids).order_by("username")


def admin_otp_paths() -> set[str]:
    """Admin paths a person between the password and the code may reach."""
    return {
        reverse("accounts_otp_verify"),
        reverse("accounts_otp_enrol"),
        reverse("wagtailadmin_logout"),
        reverse("wagtailadmin_login"),
        reverse("wagtailadmin_javascript_catalog"),
        reverse("wagtailadmin_sprite"),
    }


def _with_next(url: str, request) -> str:
    return f"{url}?{urlencode({'next': request.get_full_path()})}"


class SecondFactorMiddleware:
    """Between the password and the code: staff with a device reach only the code page (and
    log-out) in the admin, and nothing of the API, documents or media but the session
    endpoint; with ``OTP_REQUIRED_FOR_ADMINISTRATORS`` a 管理员 without a device reaches
    only enrolment. The public site stays open. Must run after django-otp's
    ``OTPMiddleware`` (``request.user.is_verified``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        user = getattr(request, "user", None)
        if not path.startswith(GUARDED_PREFIXES) or user is None or not user.is_authenticated:
            return self.get_response(request)
        if not request.session.get(STAFF_SESSION_KEY):
            return self.get_response(request)  # a member's session: nothing to check
        if path in admin_otp_paths() or path.startswith(OPEN_BEFORE_SECOND_FACTOR):
            return self.get_response(request)
        if user.is_verified():
            return self.get_response(request)
        if user_has_device(user, confirmed=True):
            target, code, detail = "accounts_otp_verify", API_CODE_VERIFY, API_DETAIL_VERIFY
        elif must_enrol(user):
            target, code, detail = "accounts_otp_enrol", API_CODE_ENROL, API_DETAIL_ENROL
        else:
            return self.get_response(request)
        if path.startswith("/api/"):
            return JsonResponse({"detail": detail, "code": code}, status=403, json_dumps_params={"ensure_ascii": False})
        return redirect(_with_next(reverse(target), request))
