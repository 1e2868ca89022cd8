"""Initial passwords are changed by their owner (等保: 初始口令须由用户本人修改).

A password somebody else chose — an imported account's, one an administrator typed when
creating the account or resetting its password, a demo account's in production — sets
``User.must_change_password`` (``mark_initial_password``; only while
``INITIAL_PASSWORD_CHANGE_REQUIRED`` is on, which ``dev.py`` turns off for ``make run``).
While it is set, ``PasswordChangeRequiredMiddleware`` lets the person do nothing but change
it or log out:

* the admin sends every page to 请先修改初始密码 (``views_auth.InitialPasswordView``), which
  returns to the page they asked for;
* the API answers ``403 {"code": "password_change_required"}`` except for the session
  endpoint and ``POST /api/member/password/``, where the member area shows its own form;
* private documents and media send the browser to the member area with ``?next=`` (the
  same form).

``change_own_password`` is the one way the flag is cleared: the new password passes the
password policy (``AUTH_PASSWORD_VALIDATORS``, which also refuses the last five passwords)
and differs from the current one.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .models import User

API_CODE = "password_change_required"
API_DETAIL = "请先修改初始密码：为了账号安全，首次登录或密码被重置后须由本人设置新密码。"
WRONG_OLD_PASSWORD = "当前密码不正确。"
SAME_AS_OLD = "新密码不能与当前（初始）密码相同。"
MISMATCH = "两次输入的新密码不一致。"

#: API paths a person with an initial password may still use: who am I, log out, change it.
# /api/forms/: the public forms endpoint is for anyone, logged in or not (cms/feedback).
API_ALLOWED = (
    "/api/member/session/",
    "/api/member/password/",
    "/api/schema/",
    "/api/docs/",
    "/api/health/",
    "/api/forms/",
)


def mark_initial_password(user: User, *, save: bool = True) -> None:
    """Somebody other than ``user`` has just chosen their password: they must change it at
    their next log-in. The one call point for imports, the admin's user forms and demo data."""
    if not settings.INITIAL_PASSWORD_CHANGE_REQUIRED or user.must_change_password:
        return
    user.must_change_password = True
    if save and user.pk is not None:
        User.objects.filter(pk=user.pk).update(must_change_password=True)


def change_own_password(
    user: User, *, old_password: str, new_password: str, new_password_again: str | None = None
) -> User:
    """The person changes their own password: the current one must be right, the new one
    must pass the policy and differ from it. Clears ``must_change_password``. Raises a
    ``ValidationError`` keyed by field (``old_password``, ``new_password``) in Chinese;
    nothing is saved then."""
    if not user.check_password(old_password or ""):
        raise ValidationError({"old_password": WRONG_OLD_PASSWORD})
    if new_password_again is not None and new_password != new_password_again:
        raise ValidationError({"new_password_again": MISMATCH})
    if new_password == old_password:
        raise ValidationError({"new_password": SAME_AS_OLD})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])  # save() records the history hash
    return user


def admin_change_url(next_url: str = "") -> str:
    url = reverse("accounts_initial_password")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class PasswordChangeRequiredMiddleware:
    """Keeps a person whose password somebody else chose away from everything but changing
    it (see the module docstring). Runs after the second-factor check, so a staff member
    with a device proves it first and the password change is never the weaker way in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not getattr(user, "must_change_password", False):
            return self.get_response(request)
        path = request.path
        if path.startswith("/admin/"):
            if path in admin_allowed_paths():
                return self.get_response(request)
            return redirect(admin_change_url(request.get_full_path()))
        if path.startswith("/api/"):
            if path.startswith(API_ALLOWED):
                return self.get_response(request)
            return JsonResponse(
                {"detail": API_DETAIL, "code": API_CODE}, status=403, json_dumps_params={"ensure_ascii": False}
            )
        if path.startswith(("/documents/", "/media/")):
            return redirect(f"{settings.WAGTAIL_FRONTEND_LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def admin_allowed_paths() -> set[str]:
    """The change form itself, log-out, and the second-factor pages (they come first)."""
    from .otp import admin_otp_paths

    return {reverse("accounts_initial_password"), reverse("wagtailadmin_logout"), *admin_otp_paths()}


def document_refusals(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation the middlewares here can refuse
    says so in the schema (403 with the shared error shape), so answers keep matching it."""
    from .otp import OPEN_BEFORE_SECOND_FACTOR

    refusals = ["初始密码尚未修改（code = password_change_required）。"]
    for path, operations in result.get("paths", {}).items():
        second_factor = not path.startswith(OPEN_BEFORE_SECOND_FACTOR)
        for operation in operations.values():
            reasons = [] if path.startswith(API_ALLOWED) else list(refusals)
            if second_factor:
                reasons.append("管理后台用户尚未完成双重验证（code = otp_required 或 otp_enrolment_required）。")
            if not reasons:
                continue
            answer = operation.setdefault("responses", {}).setdefault(
                "403",
                {
                    "description": "",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            )
            answer["description"] = " ".join(filter(None, [answer.get("description", ""), *reasons]))
    return result
