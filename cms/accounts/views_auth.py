"""Admin pages of the log-in: 请先修改初始密码 (first_login.py), the second-factor code after
the password, enrolment of an authenticator app, and 双重验证设备 for 管理员 (otp.py).

The first two are laid out like Wagtail's log-in page: they are steps of signing in."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import first_login, lockout, otp, selectors
from .models import User
from .views_admin import AdministratorsOnly


def safe_next(request, default: str | None = None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse("wagtailadmin_home")


def _locked_out(request):
    """Too many wrong secrets: end the half-made session and say so as the log-in does."""
    logout(request)
    return lockout.lockout_response(request)


# ------------------------------------------------------------------------------ first log-in


class InitialPasswordForm(forms.Form):
    old_password = forms.CharField(
        label="当前密码（初始密码）",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "请输入当前密码。"},
    )
    new_password = forms.CharField(
        label="新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "请输入新密码。"},
    )
    new_password_again = forms.CharField(
        label="再次输入新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "请再次输入新密码。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth.password_validation import password_validators_help_texts

        self.fields["new_password"].help_text = " ".join(password_validators_help_texts())


class InitialPasswordView(View):
    """请先修改初始密码: shown instead of any admin page while ``must_change_password`` is
    set; also reachable later (it is a plain password change then). Returns to ``next``."""

    template_name = "accounts/auth/initial_password.html"

    def render(self, request, form, status=200):
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "next": safe_next(request),
                "forced": request.user.must_change_password,
            },
            status=status,
        )

    def get(self, request):
        return self.render(request, InitialPasswordForm())

    def post(self, request):
        if lockout.is_locked(request, request.user.username):
            return _locked_out(request)
        form = InitialPasswordForm(request.POST)
        if not form.is_valid():
            return self.render(request, form)
        data = form.cleaned_data
        try:
            first_login.change_own_password(
                request.user,
                old_password=data["old_password"],
                new_password=data["new_password"],
                new_password_again=data["new_password_again"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field, errors)
            if "old_password" in exc.message_dict:
                lockout.count_failure(request, request.user.username)
                if getattr(request, "axes_locked_out", False):
                    return _locked_out(request)
            return self.render(request, form)
        update_session_auth_hash(request, request.user)  # this session stays signed in
        messages.success(request, "密码已修改，请牢记新密码。")
        return redirect(safe_next(request))


# ------------------------------------------------------------------------------ second factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label="验证码",
        max_length=12,
        error_messages={"required": otp.EMPTY_CODE},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "autofocus": True}
        ),
    )


def _too_soon(form, device) -> bool:
    """The device's back-off after wrong codes: say how long to wait; the code is not even
    checked then (so such tries guess nothing and are not counted)."""
    wait = otp.seconds_until_next_try(device)
    if wait:
        form.add_error("code", otp.TOO_SOON.format(seconds=wait))
    return bool(wait)


def _code_refused(request, form) -> bool:
    """Count a wrong code; True when the account is now locked."""
    form.add_error("code", otp.WRONG_CODE)
    lockout.count_failure(request, request.user.username)
    return bool(getattr(request, "axes_locked_out", False))


class OTPVerifyView(View):
    """The second log-in step: the 6-digit code of the person's authenticator app."""

    template_name = "accounts/auth/otp_verify.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(reverse("wagtailadmin_login"))
        if request.user.is_verified() or otp.confirmed_device(request.user) is None:
            return redirect(safe_next(request))
        if lockout.is_locked(request, request.user.username):
            return _locked_out(request)
        return super().dispatch(request, *args, **kwargs)

    def render(self, request, form):
        return render(request, self.template_name, {"form": form, "next": safe_next(request)})

    def get(self, request):
        return self.render(request, CodeForm())

    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid() and not _too_soon(form, otp.confirmed_device(request.user)):
            if otp.verify(request, form.cleaned_data["code"]):
                lockout.clear_failures(request, request.user.username)
                return redirect(safe_next(request))
            if _code_refused(request, form):
                return _locked_out(request)
        return self.render(request, form)


class OTPEnrolView(WagtailAdminTemplateMixin, TemplateView):
    """双重验证: enrol an authenticator app (QR code + a code to confirm it), or see that one is
    enrolled and remove it with a current code."""

    template_name = "accounts/auth/otp_enrol.html"
    page_title = "双重验证"
    header_icon = "key"

    def dispatch(self, request, *args, **kwargs):
        if not otp.is_staff(request.user):
            raise PermissionDenied
        if otp.confirmed_device(request.user) is not None and not request.user.is_verified():
            # Enrolling a new app must not be a way round the code of the old one.
            return redirect(f"{reverse('accounts_otp_verify')}?next={reverse('accounts_otp_enrol')}")
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, form=None, **kwargs):
        user = self.request.user
        device = otp.confirmed_device(user)
        context = {
            "form": form or CodeForm(),
            "next": safe_next(self.request, ""),
            "enrolled": device is not None,
            "required": settings_required_for(user),
        }
        if device is None:
            pending = otp.pending_device(user)
            context.update(qr_svg=otp.qr_svg(pending), secret=otp.secret_for_typing(pending))
        return super().get_context_data(**context, **kwargs)

    def post(self, request, *args, **kwargs):
        form = CodeForm(request.POST)
        device = otp.confirmed_device(request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        if device is None:
            pending = otp.pending_device(request.user)
            if _too_soon(form, pending):
                return self.render_to_response(self.get_context_data(form=form))
            if otp.confirm_device(request, pending, form.cleaned_data["code"]):
                lockout.clear_failures(request, request.user.username)
                messages.success(request, "双重验证已启用。今后登录后台时，输入密码后还需输入身份验证器上的验证码。")
                return redirect(safe_next(request, reverse("accounts_otp_enrol")))
            if _code_refused(request, form):
                return _locked_out(request)
            return self.render_to_response(self.get_context_data(form=form))
        # Removing one's own device: "remove" with a current code.
        if settings_required_for(request.user):
            messages.error(request, "管理员必须启用双重验证，不能自行停用；更换手机请联系其他管理员移除旧设备。")
            return redirect("accounts_otp_enrol")
        if _too_soon(form, device):
            return self.render_to_response(self.get_context_data(form=form))
        if otp.verify(request, form.cleaned_data["code"]):
            otp.remove_device(request.user, by=request.user, request=request)
            messages.success(request, "双重验证已停用。")
            return redirect("accounts_otp_enrol")
        if _code_refused(request, form):
            return _locked_out(request)
        return self.render_to_response(self.get_context_data(form=form))


def settings_required_for(user) -> bool:
    from django.conf import settings

    return bool(settings.OTP_REQUIRED_FOR_ADMINISTRATORS and selectors.is_administrator(user))


class OTPDeviceListView(AdministratorsOnly, WagtailAdminTemplateMixin, TemplateView):
    """双重验证设备 (管理员): who has an authenticator app; remove one for a lost phone."""

    template_name = "accounts/auth/otp_devices.html"
    page_title = "双重验证设备"
    header_icon = "key"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(people=otp.staff_with_devices(), **kwargs)

    def post(self, request, *args, **kwargs):
        person = get_object_or_404(User, pk=request.POST.get("user") or 0)
        if otp.remove_device(person, by=request.user, request=request):
            messages.success(
                request,
                f"已移除 {person.display_name}（{person.username}）的双重验证设备。"
                "该用户下次登录时只需输入密码，可重新启用双重验证。",
            )
        else:
            messages.error(request, f"{person.display_name}（{person.username}）没有双重验证设备。")
        return redirect("accounts_otp_devices")
