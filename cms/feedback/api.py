"""Feedback endpoints (docs/member-api.md, 问卷): the member forms under /api/member/forms/ and
the public submission endpoint /api/forms/{id}/submissions/. Thin: who may see what comes from
``selectors``, every write goes through ``services``; a form that is missing, unpublished or
outside the person's audience is the same 404."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.audit.services import client_address
from cms.core.api import ErrorSerializer

from . import selectors, services
from .serializers import (
    AnswersInputSerializer,
    FileUploadSerializer,
    FormDetailSerializer,
    FormSummarySerializer,
    PublicSubmissionSerializer,
    PublicThanksSerializer,
    SavedDraftSerializer,
    SubmitSerializer,
    UploadedFileSerializer,
)

NOT_FOUND_MESSAGE = "未找到该问卷，或您不在填写范围内。"
PUBLIC_NOT_FOUND_MESSAGE = "未找到该问卷，或问卷已不再公开。"

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description="未登录或登录已过期（code = not_authenticated）。")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=f"{NOT_FOUND_MESSAGE}（code = not_found）")
CSRF = OpenApiResponse(ErrorSerializer, description="缺少或错误的 CSRF 令牌（code = csrf_failed）。")
REFUSED = OpenApiResponse(
    ErrorSerializer,
    description=(
        "答案有误（code = invalid，fields 为各问题的错误）；问卷未开始或已截止（code = closed）；"
        "已提交且不允许修改（code = already_submitted）。"
    ),
)
TOO_LARGE = OpenApiResponse(ErrorSerializer, description=f"{services.TOO_LARGE_MESSAGE}（code = too_large）")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = services.TOO_LARGE_MESSAGE
    default_code = "too_large"


class Refused(exceptions.APIException):
    """A service's refusal with a code of its own (closed, already_submitted)."""

    status_code = status.HTTP_400_BAD_REQUEST


class SubmissionsThrottled(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = services.THROTTLED_MESSAGE
    default_code = "throttled"


def _check_body_size(request) -> None:
    """Before parsing: a body far over the limit is refused without being read as JSON."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > services.MAX_BODY_BYTES + 4096:
        raise PayloadTooLarge()


def _service(call):
    """Run a service, turning its coded refusals into the API's answers."""
    try:
        return call()
    except services.TooLarge:
        raise PayloadTooLarge() from None
    except (services.FormClosed, services.AlreadySubmitted) as error:
        raise Refused(error.messages[0], code=error.code) from None
    except services.Throttled:
        raise SubmissionsThrottled() from None


@extend_schema_view(
    list=extend_schema(summary="我的问卷", responses={200: FormSummarySerializer(many=True), 401: NOT_AUTHENTICATED}),
    retrieve=extend_schema(
        summary="问卷详情（题目、草稿、已提交的答案）",
        parameters=[ID],
        responses={200: FormDetailSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    ),
)
class FormViewSet(viewsets.ViewSet):
    # Read by cms.core.api.exception_handler for every 404 here, including a service's
    # PermissionDenied: "not yours" must look exactly like "does not exist".
    not_found_message = NOT_FOUND_MESSAGE
    lookup_value_regex = r"[0-9]{1,18}"
    parser_classes = [JSONParser]

    def _form(self, request, pk):
        form = selectors.visible_form(request.user, int(pk))
        if form is None:
            raise exceptions.NotFound(NOT_FOUND_MESSAGE)
        return form

    def _detail(self, request, form):
        return FormDetailSerializer(selectors.form_overview(request.user, form)).data

    def list(self, request):
        forms = selectors.forms_for(request.user)
        return Response(FormSummarySerializer(selectors.form_overviews(request.user, forms), many=True).data)

    def retrieve(self, request, pk):
        return Response(self._detail(request, self._form(request, pk)))

    @extend_schema(
        summary="保存草稿",
        parameters=[ID],
        request=AnswersInputSerializer,
        responses={
            200: SavedDraftSerializer,
            400: REFUSED,
            401: NOT_AUTHENTICATED,
            403: CSRF,
            404: NOT_FOUND,
            413: TOO_LARGE,
        },
    )
    @action(detail=True, methods=["put"])
    def draft(self, request, pk):
        _check_body_size(request)
        form = self._form(request, pk)
        data = AnswersInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = _service(lambda: services.save_draft(request.user, form, data.validated_data["answers"]))
        return Response(SavedDraftSerializer(draft).data)

    @extend_schema(
        summary="提交答案",
        parameters=[ID],
        request=SubmitSerializer,
        responses={
            200: FormDetailSerializer,
            400: REFUSED,
            401: NOT_AUTHENTICATED,
            403: CSRF,
            404: NOT_FOUND,
            413: TOO_LARGE,
        },
        description="同一 submission_key 再次提交时返回同样的结果，不会产生第二份答卷。",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk):
        _check_body_size(request)
        form = self._form(request, pk)
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _service(
            lambda: services.submit(
                request.user, form, data.validated_data["answers"], data.validated_data["submission_key"]
            )
        )
        return Response(self._detail(request, form))

    @extend_schema(
        summary="上传附件",
        parameters=[ID],
        request={"multipart/form-data": FileUploadSerializer},
        responses={201: UploadedFileSerializer, 400: REFUSED, 401: NOT_AUTHENTICATED, 403: CSRF, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def files(self, request, pk):
        form = self._form(request, pk)
        data = FileUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stored = _service(lambda: services.upload_file(request.user, form, data.validated_data["file"]))
        return Response(UploadedFileSerializer(stored).data, status=status.HTTP_201_CREATED)


class PublicSubmissionView(APIView):
    """Anyone may post to a live public form. No session is read (so no CSRF token is needed),
    and only JSON is accepted: a cross-site HTML form cannot send JSON, and a script on
    another origin cannot without a CORS preflight this server never answers."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser]
    not_found_message = PUBLIC_NOT_FOUND_MESSAGE

    @extend_schema(
        summary="提交公开问卷（群众心声等）",
        parameters=[ID],
        request=PublicSubmissionSerializer,
        auth=[],
        responses={
            201: PublicThanksSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description="答案有误（code = invalid，fields）；问卷未开始或已截止（code = closed）。"
            ),
            404: OpenApiResponse(ErrorSerializer, description=f"{PUBLIC_NOT_FOUND_MESSAGE}（code = not_found）"),
            413: TOO_LARGE,
            415: OpenApiResponse(ErrorSerializer, description="只接受 JSON（code = unsupported_media_type）。"),
            429: OpenApiResponse(ErrorSerializer, description=f"{services.THROTTLED_MESSAGE}（code = throttled）"),
        },
    )
    def post(self, request, id):
        _check_body_size(request)
        form = selectors.live_public_form(int(id))
        if form is None:
            raise exceptions.NotFound(PUBLIC_NOT_FOUND_MESSAGE)
        data = PublicSubmissionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _service(
            lambda: services.public_submit(
                form,
                data.validated_data["answers"],
                honeypot=data.validated_data.get("website"),
                address=client_address(request),
            )
        )
        return Response({"detail": services.PUBLIC_THANKS}, status=status.HTTP_201_CREATED)
