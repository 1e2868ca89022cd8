"""The member session: who am I, log in, log out (``/api/member/session/``).

Log-in uses Django's own ``authenticate``/``login``, so the session is rotated, the CSRF
token is renewed, inactive accounts are refused and failures count towards the same
lock-out as in the admin (cms/accounts/lockout.py)."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from django_otp import login as otp_login
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.core.api import ErrorSerializer

from . import first_login, lockout, otp
from .serializers import LoginSerializer, PasswordChangeSerializer, SessionSerializer

LOGIN_REFUSED_MESSAGE = "用户名或密码不正确。"


@method_decorator(ensure_csrf_cookie, name="get")
class SessionView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="当前登录状态",
        responses={200: SessionSerializer},
        description="总是设置 csrftoken Cookie；之后的 POST/DELETE 请求须在 X-CSRFToken 头中带上它。",
    )
    def get(self, request):
        return Response(SessionSerializer(request.user).data)

    @extend_schema(
        summary="登录",
        request=LoginSerializer,
        responses={
            200: SessionSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="用户名或密码不正确，或未填写；启用了双重验证的后台用户"
                "未填写或填错验证码（code = otp_required，fields.code）。",
            ),
            403: OpenApiResponse(
                ErrorSerializer,
                description="CSRF 校验失败（code = csrf_failed）；须先在管理后台启用"
                "双重验证的管理员（code = otp_enrolment_required）。",
            ),
            429: OpenApiResponse(
                ErrorSerializer, description="登录失败次数过多，账号或地址已被暂时锁定（code = locked）。"
            ),
        },
    )
    def post(self, request):
        form = LoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(
            request._request, username=form.validated_data["username"], password=form.validated_data["password"]
        )
        if user is None:  # wrong password, unknown or inactive account: one answer for all
            raise ValidationError({"non_field_errors": [LOGIN_REFUSED_MESSAGE]})
        device = None
        if otp.is_staff(user):
            # The member session must not be a way round the admin's second factor: staff
            # with a device give the code here too; 管理员 who must enrol do that first.
            device = otp.confirmed_device(user)
            if device is None and otp.must_enrol(user):
                return Response(
                    {"detail": otp.API_DETAIL_ENROL, "code": otp.API_CODE_ENROL}, status=status.HTTP_403_FORBIDDEN
                )
            if device is not None:
                refused = self._check_code(request, user, device, form.validated_data.get("code", ""))
                if refused is not None:
                    return refused
        login(request._request, user)  # new session key and CSRF token
        if device is not None:
            otp_login(request._request, device)
            lockout.clear_failures(request._request, user.username)
        return Response(SessionSerializer(user).data)

    @staticmethod
    def _check_code(request, user, device, code):
        """None when the code is right; otherwise the answer (400 otp_required, 429 locked)."""

        def ask(message):
            return Response(
                {"detail": message, "code": otp.API_CODE_VERIFY, "fields": {"code": [message]}},
                status=status.HTTP_400_BAD_REQUEST,
            )

        if not otp.clean_code(code):
            return ask(otp.MEMBER_CODE_NEEDED)
        wait = otp.seconds_until_next_try(device)
        if wait:
            return ask(otp.TOO_SOON.format(seconds=wait))
        if otp.check_code(device, code):
            return None
        lockout.count_failure(request._request, user.username)
        if getattr(request._request, "axes_locked_out", False):
            return lockout.lockout_response(request._request)
        return ask(otp.WRONG_CODE)

    @extend_schema(
        summary="退出登录",
        request=None,
        responses={
            204: OpenApiResponse(description="已退出（未登录时同样返回 204）。"),
            403: OpenApiResponse(ErrorSerializer, description="CSRF 校验失败（code = csrf_failed）。"),
        },
    )
    def delete(self, request):
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordView(APIView):
    """The member's own password change; the only way past ``password_change_required``
    (cms/accounts/first_login.py). A wrong current password counts as a failed log-in."""

    @extend_schema(
        summary="修改密码",
        request=PasswordChangeSerializer,
        responses={
            200: SessionSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description="当前密码不正确，或新密码不符合密码规则（fields 中说明）。"
            ),
            401: OpenApiResponse(ErrorSerializer, description="未登录（code = not_authenticated）。"),
            403: OpenApiResponse(ErrorSerializer, description="CSRF 校验失败（code = csrf_failed）。"),
            429: OpenApiResponse(ErrorSerializer, description="失败次数过多，账号已被暂时锁定（code = locked）。"),
        },
    )
    def post(self, request):
        user = request.user
        if lockout.is_locked(request._request, user.username):
            return lockout.lockout_response(request._request)
        form = PasswordChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            first_login.change_own_password(
                user, old_password=form.validated_data["old_password"], new_password=form.validated_data["new_password"]
            )
        except DjangoValidationError as exc:
            if "old_password" in exc.message_dict:
                lockout.count_failure(request._request, user.username)
                if getattr(request._request, "axes_locked_out", False):
                    return lockout.lockout_response(request._request)
            raise ValidationError(exc.message_dict) from exc
        update_session_auth_hash(request._request, user)  # this session stays signed in
        return Response(SessionSerializer(user).data)
