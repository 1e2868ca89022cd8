"""The member session: who am I, log in, log out (``/api/member/session/``).

Log-in uses Django's own ``authenticate``/``login``, so the session is rotated, the CSRF
token is renewed and inactive accounts are refused exactly as in the admin."""
from __future__ import annotations

import hashlib

from django.contrib.auth import authenticate, login, logout
from django.core.cache import caches
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from cms.core.api import ErrorSerializer

from .serializers import LoginSerializer, SessionSerializer

LOGIN_REFUSED_MESSAGE = "用户名或密码不正确。"


class _LoginThrottle(SimpleRateThrottle):
    """Counts log-in attempts (POST only) in the ``throttle`` cache: tests run with a dummy
    default cache, and a deployment with several processes can share this one (Redis,
    database) without caching anything else there."""

    def __init__(self):
        self.cache = caches["throttle"]
        super().__init__()

    def get_rate(self):
        # Read at use, not at import, so a changed REST_FRAMEWORK setting takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.ident(request)}

    def ident(self, request) -> str:
        return self.get_ident(request)


class LoginAttemptThrottle(_LoginThrottle):
    """A few tries per account and address: guessing one password is slow, while colleagues
    behind the same office address are not locked out by one person's typos."""

    scope = "login"

    def ident(self, request) -> str:
        data = request.data if isinstance(request.data, dict) else {}
        username = str(data.get("username", "")).strip()
        digest = hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()[:32]
        return f"{self.get_ident(request)}:{digest}"


class LoginAddressThrottle(_LoginThrottle):
    """A looser limit per address against trying one password on many accounts."""

    scope = "login_address"


@method_decorator(ensure_csrf_cookie, name="get")
class SessionView(APIView):
    permission_classes = [permissions.AllowAny]

    def get_throttles(self):
        return [LoginAttemptThrottle(), LoginAddressThrottle()] if self.request.method == "POST" else []

    @extend_schema(summary="当前登录状态", responses={200: SessionSerializer},
                   description="总是设置 csrftoken Cookie；之后的 POST/DELETE 请求须在 X-CSRFToken 头中带上它。")
    def get(self, request):
        return Response(SessionSerializer(request.user).data)

    @extend_schema(summary="登录", request=LoginSerializer, responses={
        200: SessionSerializer,
        400: OpenApiResponse(ErrorSerializer, description="用户名或密码不正确，或未填写。"),
        403: OpenApiResponse(ErrorSerializer, description="CSRF 校验失败（code = csrf_failed）。"),
        429: OpenApiResponse(ErrorSerializer, description="尝试次数过多（code = throttled）。"),
    })
    def post(self, request):
        form = LoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(request._request, username=form.validated_data["username"],
                            password=form.validated_data["password"])
        if user is None:  # wrong password, unknown or inactive account: one answer for all
            raise ValidationError({"non_field_errors": [LOGIN_REFUSED_MESSAGE]})
        login(request._request, user)  # new session key and CSRF token
        return Response(SessionSerializer(user).data)

    @extend_schema(summary="退出登录", request=None, responses={
        204: OpenApiResponse(description="已退出（未登录时同样返回 204）。"),
        403: OpenApiResponse(ErrorSerializer, description="CSRF 校验失败（code = csrf_failed）。"),
    })
    def delete(self, request):
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
