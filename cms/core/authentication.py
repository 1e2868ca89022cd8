"""Session authentication for /api/ (kept apart from ``api.py``: DRF imports the configured
authentication class while ``rest_framework.views`` is still loading)."""

from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

NOT_AUTHENTICATED_MESSAGE = "登录已过期或尚未登录，请重新登录。"
CSRF_FAILED_MESSAGE = "页面已过期或请求来源无法验证，请刷新页面后重试。"


class CSRFFailed(exceptions.PermissionDenied):
    default_detail = CSRF_FAILED_MESSAGE
    default_code = "csrf_failed"


class SessionAuthentication(authentication.SessionAuthentication):
    """Django's session, as the admin and the member pages use it.

    * ``authenticate_header`` makes DRF answer 401 (not 403) when nobody is logged in, so the
      page can tell "log in again" from "not allowed". The scheme is not one browsers know,
      so no native password dialog appears.
    * CSRF is checked on every unsafe request, logged in or not. DRF skips it for anonymous
      requests, which would leave log-in open to login CSRF (a foreign page logging the
      member into someone else's account).
    """

    def authenticate(self, request):
        user = getattr(request._request, "user", None)
        if user is None or not user.is_active:
            if request.method not in SAFE_METHODS:
                self.enforce_csrf(request)
            return None
        self.enforce_csrf(request)
        return (user, None)

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as error:
            raise CSRFFailed() from error

    def authenticate_header(self, request):
        return 'Session realm="api"'
