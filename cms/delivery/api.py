"""/api/member/notifications/email/: a member's own choice of email for notices and answers."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.core.api import ErrorSerializer

from . import services


class JSONBooleanField(serializers.BooleanField):
    """JSON true/false only: 1, "yes", "on" … are refused rather than guessed at."""

    TRUE_VALUES = {True}
    FALSE_VALUES = {False}
    NULL_VALUES = set()

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)


class EmailPreferenceSerializer(serializers.Serializer):
    email = serializers.CharField(read_only=True, help_text="账号登记的邮箱；为空时不能开启邮件提醒。")
    notices = JSONBooleanField(help_text="通知公告同时发送邮件")
    answers = JSONBooleanField(help_text="咨询答复同时发送邮件")


def _body(user, preference) -> dict:
    return {"email": user.email or "", "notices": preference.notices, "answers": preference.answers}


NOT_LOGGED_IN = OpenApiResponse(ErrorSerializer, description="未登录（code = not_authenticated）。")


class EmailPreferenceView(APIView):
    # JSON only: a form post leaves out an unticked box, which must not read as "off".
    parser_classes = [JSONParser]

    @extend_schema(summary="我的邮件提醒设置", responses={200: EmailPreferenceSerializer, 401: NOT_LOGGED_IN})
    def get(self, request):
        return Response(_body(request.user, services.email_preference(request.user)))

    @extend_schema(
        summary="修改我的邮件提醒设置",
        request=EmailPreferenceSerializer,
        responses={
            200: EmailPreferenceSerializer,
            400: OpenApiResponse(ErrorSerializer, description="账号没有登记邮箱，或参数不正确。"),
            401: NOT_LOGGED_IN,
            403: OpenApiResponse(ErrorSerializer, description="CSRF 校验失败（code = csrf_failed）。"),
            415: OpenApiResponse(ErrorSerializer, description="请求体不是 JSON。"),
        },
    )
    def put(self, request):
        form = EmailPreferenceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        preference = services.set_email_preference(request.user, **form.validated_data)
        return Response(_body(request.user, preference))
