"""Conventions shared by everything under /api/ (authentication: ``authentication.py``):
one JSON error shape in 简体中文,

    {"detail": "<简体中文>", "code": "<machine code>"}            (+ "fields" for bad input)

The browser front end shows ``detail`` as is and branches on ``code`` only, so the messages
here are written for members, and the codes are part of the contract (docs/member-api.md).

DRF's errors go through ``exception_handler``; what Django answers before or after a DRF
view (a CSRF failure on a plain view, a bad Host header, an unexpected exception) goes
through the error views at the end of this module, which answer the same shape under /api/
and Django's own pages elsewhere (``CSRF_FAILURE_VIEW``, ``handler400``… in cms/urls.py).
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

from .authentication import CSRF_FAILED_MESSAGE, NOT_AUTHENTICATED_MESSAGE

GENERIC_NOT_FOUND_MESSAGE = "请求的内容不存在。"
INVALID_MESSAGE = "提交的内容有误，请检查后重试。"
API_NOT_FOUND_MESSAGE = "接口不存在。"
BAD_REQUEST_MESSAGE = "请求无法处理，请刷新页面后重试。"
SERVER_ERROR_MESSAGE = "服务器内部错误，请稍后重试。"

#: Chinese wording for DRF's own errors, by code. Errors raised with a message of their own
#: (a permission class's ``message``, a service's refusal) keep that message.
MESSAGES = {
    "not_authenticated": NOT_AUTHENTICATED_MESSAGE,
    "authentication_failed": NOT_AUTHENTICATED_MESSAGE,
    "permission_denied": "您没有执行该操作的权限。",
    "not_found": GENERIC_NOT_FOUND_MESSAGE,
    "parse_error": "请求内容不是有效的 JSON，请刷新页面后重试。",
    "method_not_allowed": "不支持该请求方法。",
    "not_acceptable": "无法按请求的格式返回数据。",
    "unsupported_media_type": "不支持的请求内容类型，请以 JSON 提交。",
}
#: DRF's wording of these mentions HTTP details or English names; ours always replaces it.
ALWAYS_OURS = {
    "not_authenticated",
    "authentication_failed",
    "parse_error",
    "method_not_allowed",
    "not_acceptable",
    "unsupported_media_type",
}
#: DRF codes the contract folds into one the front end already handles.
CODE_ALIASES = {"authentication_failed": "not_authenticated", "parse_error": "invalid"}


class ErrorSerializer(serializers.Serializer):
    """Every error answer (documents the shape in the OpenAPI schema)."""

    detail = serializers.CharField(help_text="给用户看的简体中文说明")
    code = serializers.CharField(
        help_text="not_authenticated, csrf_failed, permission_denied, not_found, "
        "invalid, throttled, method_not_allowed …"
    )
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="仅 code = invalid：各字段的错误",
    )


@functools.cache
def _bound(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    serializer = serializer_class()
    serializer.fields  # noqa: B018 (binds copies of the declared fields, once per process)
    return serializer


def represented(serializer_class: type[serializers.Serializer], instance) -> dict:
    """``serializer_class(instance).data`` for the member area's hottest requests (a whole
    contest saving answers, bench/quiz_load.py): DRF deep-copies every declared field for
    each new serializer, a measurable part of a request that is otherwise two statements.
    The serializer is built once per process and keeps nothing between calls, so only
    serializers that read no ``context`` and nest no others may come here."""
    return _bound(serializer_class).to_representation(instance)


def validated(serializer_class: type[serializers.Serializer], data) -> dict:
    """``serializer_class(data=data)``'s validated data, raising what
    ``is_valid(raise_exception=True)`` raises (the same error body): ``represented``'s
    counterpart for input, with its conditions."""
    return _bound(serializer_class).run_validation(data)


def _flatten(messages) -> list[str]:
    if isinstance(messages, dict):
        return [text for value in messages.values() for text in _flatten(value)]
    if isinstance(messages, (list, tuple)):
        return [text for value in messages for text in _flatten(value)]
    return [str(messages)]


def _validation_body(detail) -> dict:
    """DRF's ``{"field": ["msg"], "non_field_errors": [...]}`` or ``["msg"]`` as one
    ``detail`` sentence (the first problem, so a simple page can show it) plus ``fields``."""
    if isinstance(detail, dict):
        general = _flatten(detail.get("non_field_errors", []))
        fields = {name: _flatten(errors) for name, errors in detail.items() if name != "non_field_errors"}
        first = general or [text for errors in fields.values() for text in errors]
        body = {"detail": first[0] if first else INVALID_MESSAGE, "code": "invalid"}
        if fields:
            body["fields"] = fields
        return body
    messages = _flatten(detail)
    return {"detail": messages[0] if messages else INVALID_MESSAGE, "code": "invalid"}


def _from_django(exc, view):
    """Services raise Django's exceptions; turn them into DRF's before rendering."""
    if isinstance(exc, Http404):
        return exceptions.NotFound(getattr(view, "not_found_message", GENERIC_NOT_FOUND_MESSAGE))
    if isinstance(exc, DjangoPermissionDenied):
        # A service refusing a person is answered like a missing object, so an id outside
        # one's audience cannot be told from one that does not exist.
        return exceptions.NotFound(getattr(view, "not_found_message", GENERIC_NOT_FOUND_MESSAGE))
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            errors = dict(exc.message_dict)
            general = errors.pop(NON_FIELD_ERRORS, [])
            return exceptions.ValidationError({**errors, "non_field_errors": general} if general else errors)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    return exc


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def error_response(detail: str, code: str, status_code: int) -> JsonResponse:
    """The error shape, for answers made outside DRF."""
    return JsonResponse({"detail": detail, "code": code}, status=status_code, json_dumps_params={"ensure_ascii": False})


def exception_handler(exc, context):
    request = context.get("request")
    if request is not None and not is_api_request(request):
        # Wagtail's admin API (under /admin/) is DRF too; its JavaScript expects DRF's shapes.
        return drf_exception_handler(exc, context)
    view = context.get("view")
    exc = _from_django(exc, view)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling (logging, admin mails) takes over
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail)
        return response
    code = exc.get_codes() if isinstance(exc.detail, str) else "error"
    message = str(exc.detail)
    if isinstance(exc, exceptions.Throttled):
        message = f"尝试次数过多，请 {exc.wait} 秒后再试。" if exc.wait is not None else "尝试次数过多，请稍后再试。"
    elif isinstance(exc, exceptions.NotFound) and message == str(exceptions.NotFound.default_detail):
        message = getattr(view, "not_found_message", GENERIC_NOT_FOUND_MESSAGE)
    elif code in ALWAYS_OURS or (code in MESSAGES and message == str(type(exc).default_detail)):
        message = MESSAGES[code]
    response.data = {"detail": message, "code": CODE_ALIASES.get(code, code)}
    return response


def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer JSON, not the public site's HTML 404 page."""
    return error_response(API_NOT_FOUND_MESSAGE, "not_found", status.HTTP_404_NOT_FOUND)


# Django's error views (settings.CSRF_FAILURE_VIEW, handler400… in cms/urls.py): JSON under
# /api/, Django's own pages elsewhere (the admin's, and the public site's 404 is its own).


def csrf_failure(request, reason=""):
    """CsrfViewMiddleware refusing a view that is not DRF's (DRF views check CSRF themselves
    and raise ``CSRFFailed``), e.g. a POST to an unknown path under /api/."""
    if is_api_request(request):
        return error_response(CSRF_FAILED_MESSAGE, "csrf_failed", status.HTTP_403_FORBIDDEN)
    return django_csrf_failure(request, reason=reason)


def bad_request(request, exception):
    if is_api_request(request):
        return error_response(BAD_REQUEST_MESSAGE, "bad_request", status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api_request(request):
        return error_response(MESSAGES["permission_denied"], "permission_denied", status.HTTP_403_FORBIDDEN)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api_request(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django has logged the exception (and mailed the admins) before calling this."""
    if is_api_request(request):
        return error_response(SERVER_ERROR_MESSAGE, "server_error", status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents our session authentication as drf-spectacular documents DRF's."""

    target_class = "cms.core.authentication.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}


def only_api_paths(endpoints, **kwargs):
    """Schema preprocessing hook: document /api/ only (not Wagtail's internal admin API)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
