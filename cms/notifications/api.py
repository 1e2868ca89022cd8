"""Member endpoints under /api/member/notices/ (docs/member-api.md: Notices). Thin: a
member's notices come from ``selectors.my_receipts``, every write goes through
``services``; a notice the member did not receive is the same 404 as a missing one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from cms.core.api import ErrorSerializer

from . import selectors, services
from .serializers import NoticeDetailSerializer, NoticeSummarySerializer, ReplySerializer

NOT_FOUND_MESSAGE = "没有找到该通知。"

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description="未登录或登录已过期（code = not_authenticated）。")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=f"{NOT_FOUND_MESSAGE}（code = not_found）")
CSRF = OpenApiResponse(ErrorSerializer, description="缺少或错误的 CSRF 令牌（code = csrf_failed）。")
INVALID = OpenApiResponse(
    ErrorSerializer,
    description="输入有误或操作被拒绝（如已过回执截止时间），fields 中为各字段的说明（code = invalid）。",
)


@extend_schema_view(
    list=extend_schema(
        summary="我的通知（未读在前）", responses={200: NoticeSummarySerializer(many=True), 401: NOT_AUTHENTICATED}
    ),
    retrieve=extend_schema(
        summary="通知详情（打开即记为已读）",
        parameters=[ID],
        responses={200: NoticeDetailSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    ),
    confirm=extend_schema(
        summary="已读确认（重复确认不改变首次确认时间）",
        parameters=[ID],
        request=None,
        responses={200: NoticeDetailSerializer, 400: INVALID, 401: NOT_AUTHENTICATED, 403: CSRF, 404: NOT_FOUND},
    ),
    reply=extend_schema(
        summary="回执：参加或不参加（不参加须填写原因；截止前可修改）",
        parameters=[ID],
        request=ReplySerializer,
        responses={200: NoticeDetailSerializer, 400: INVALID, 401: NOT_AUTHENTICATED, 403: CSRF, 404: NOT_FOUND},
    ),
)
class NoticeViewSet(viewsets.ViewSet):
    not_found_message = NOT_FOUND_MESSAGE
    lookup_value_regex = r"[0-9]{1,18}"
    parser_classes = [JSONParser]

    def _mine(self, request, pk):
        receipt = selectors.my_receipt(request.user, int(pk))
        if receipt is None:
            raise NotFound(NOT_FOUND_MESSAGE)
        return receipt

    def list(self, request):
        return Response(NoticeSummarySerializer(selectors.my_receipts(request.user), many=True).data)

    def retrieve(self, request, pk):
        receipt = services.mark_read(self._mine(request, pk))
        return Response(NoticeDetailSerializer(receipt).data)

    @action(detail=True, methods=["post"])
    def confirm(self, request, pk):
        receipt = services.confirm(self._mine(request, pk))
        return Response(NoticeDetailSerializer(receipt).data)

    @action(detail=True, methods=["post"])
    def reply(self, request, pk):
        receipt = self._mine(request, pk)
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receipt = services.reply(receipt, attend=data.validated_data["attend"], reason=data.validated_data["reason"])
        return Response(NoticeDetailSerializer(receipt).data)
