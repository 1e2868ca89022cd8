"""Member endpoints under /api/member/consultations/ (docs/member-api.md: Consultations).
Thin: the asker's items come from ``selectors.mine``, every write goes through ``services``;
somebody else's item is the same 404 as a missing one."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.core.api import ErrorSerializer

from . import downloads, selectors, services
from .models import Addressee, Kind
from .serializers import (
    AskOptionsSerializer,
    AskSerializer,
    ConsultationDetailSerializer,
    ConsultationSummarySerializer,
    FollowUpSerializer,
)

NOT_FOUND_MESSAGE = "没有找到该咨询或建议。"

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
MESSAGE_ID = OpenApiParameter("message_id", int, OpenApiParameter.PATH)
NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description="未登录或登录已过期（code = not_authenticated）。")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=f"{NOT_FOUND_MESSAGE}（code = not_found）")
CSRF = OpenApiResponse(ErrorSerializer, description="缺少或错误的 CSRF 令牌（code = csrf_failed）。")
INVALID = OpenApiResponse(
    ErrorSerializer, description="输入有误或操作被拒绝，fields 中为各字段的说明（code = invalid）。"
)
UNSUPPORTED = OpenApiResponse(ErrorSerializer, description="不支持的请求内容类型（code = unsupported_media_type）。")


def _validated(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


@extend_schema_view(
    list=extend_schema(
        summary="我的咨询与建议", responses={200: ConsultationSummarySerializer(many=True), 401: NOT_AUTHENTICATED}
    ),
    create=extend_schema(
        summary="提问或提建议（可带一个附件：multipart/form-data）",
        request=AskSerializer,
        responses={
            201: ConsultationDetailSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: CSRF,
            415: UNSUPPORTED,
        },
    ),
    retrieve=extend_schema(
        summary="咨询详情（含全部往来消息；记为已查看）",
        parameters=[ID],
        responses={200: ConsultationDetailSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    ),
    follow_up=extend_schema(
        summary="追问（关闭前均可；可带附件）",
        parameters=[ID],
        request=FollowUpSerializer,
        responses={
            201: ConsultationDetailSerializer,
            400: INVALID,
            401: NOT_AUTHENTICATED,
            403: CSRF,
            404: NOT_FOUND,
            415: UNSUPPORTED,
        },
    ),
    close=extend_schema(
        summary="关闭（不再追问）",
        parameters=[ID],
        request=None,
        responses={200: ConsultationDetailSerializer, 400: INVALID, 401: NOT_AUTHENTICATED, 403: CSRF, 404: NOT_FOUND},
    ),
    attachment=extend_schema(
        summary="下载附件",
        parameters=[ID, MESSAGE_ID],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    ),
)
class ConsultationViewSet(viewsets.ViewSet):
    not_found_message = NOT_FOUND_MESSAGE
    lookup_value_regex = r"[0-9]{1,18}"
    parser_classes = [JSONParser, MultiPartParser]  # JSON, or multipart when a file comes along

    def _mine(self, request, pk):
        item = selectors.my_consultation(request.user, int(pk))
        if item is None:
            raise NotFound(NOT_FOUND_MESSAGE)
        return item

    def _detail(self, request, item, status_code=status.HTTP_200_OK):
        return Response(ConsultationDetailSerializer(item, context={"user": request.user}).data, status=status_code)

    def list(self, request):
        return Response(ConsultationSummarySerializer(selectors.mine(request.user), many=True).data)

    def create(self, request):
        data = _validated(AskSerializer, request)
        item = services.ask(
            request.user,
            kind=data["kind"],
            addressee=data["addressee"],
            subject=data["subject"],
            text=data["text"],
            public_consent=data["public_consent"],
            attachment=data.get("attachment"),
        )
        return self._detail(request, item, status.HTTP_201_CREATED)

    def retrieve(self, request, pk):
        item = self._mine(request, pk)
        # Answers the asker has not seen are flagged in this answer, then count as seen.
        data = ConsultationDetailSerializer(item, context={"user": request.user}).data
        services.mark_seen(request.user, item)
        return Response(data)

    @action(detail=True, methods=["post"], url_path="follow-ups")
    def follow_up(self, request, pk):
        item = self._mine(request, pk)
        data = _validated(FollowUpSerializer, request)
        services.follow_up(request.user, item, data["text"], data.get("attachment"))
        item.refresh_from_db()
        return self._detail(request, item, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def close(self, request, pk):
        item = services.close(request.user, self._mine(request, pk))
        return self._detail(request, item)

    @action(detail=True, methods=["get"], url_path=r"messages/(?P<message_id>[0-9]{1,18})/attachment")
    def attachment(self, request, pk, message_id):
        item = self._mine(request, pk)
        message = item.messages.filter(pk=int(message_id)).exclude(attachment="").first()
        if message is None:
            raise NotFound(NOT_FOUND_MESSAGE)
        return downloads.send(request, message)


class AskOptionsView(APIView):
    @extend_schema(
        summary="提问表单的选项（类型、可提交给的组织）", responses={200: AskOptionsSerializer, 401: NOT_AUTHENTICATED}
    )
    def get(self, request):
        addressees = []
        for value, label in Addressee.choices:
            try:
                unit = services.addressee_unit(request.user, value)
                shown, reason = (f"{unit.name}" if value == Addressee.BRANCH else label), ""
                available = True
            except DjangoValidationError as error:
                shown, available, reason = label, False, error.messages[0]
            addressees.append({"value": value, "label": shown, "available": available, "reason": reason})
        return Response(
            AskOptionsSerializer(
                {
                    "kinds": [{"value": v, "label": label} for v, label in Kind.choices],
                    "addressees": addressees,
                    "sla_working_days": settings.CONSULTATION_SLA_WORKING_DAYS,
                    "attachment_max_bytes": settings.CONSULTATION_ATTACHMENT_MAX_BYTES,
                    "attachment_extensions": sorted(services.ATTACHMENT_EXTENSIONS),
                }
            ).data
        )
