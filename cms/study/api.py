"""Member study endpoints under /api/member/ (docs/member-api.md). Thin: who may see what
comes from ``selectors``, every write goes through ``services``; a course or lesson that is
missing, unpublished or outside the person's audience is the same 404."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.core.api import ErrorSerializer, represented, validated

from . import selectors, services
from .serializers import (
    CourseDetailSerializer,
    CourseSummarySerializer,
    HeartbeatSerializer,
    LessonSerializer,
    MyProgressSerializer,
    ProgressSerializer,
)

NOT_FOUND_MESSAGE = "未找到该课程或课时，或您不在学习范围内。"

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description="未登录或登录已过期（code = not_authenticated）。")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=f"{NOT_FOUND_MESSAGE}（code = not_found）")
CSRF = OpenApiResponse(ErrorSerializer, description="缺少或错误的 CSRF 令牌（code = csrf_failed）。")
INVALID = OpenApiResponse(ErrorSerializer, description="输入有误或操作被拒绝（code = invalid）。")


class StudyViewSet(viewsets.ViewSet):
    # Read by cms.core.api.exception_handler for every 404 here, including a service's
    # PermissionDenied: "not yours" must look exactly like "does not exist".
    not_found_message = NOT_FOUND_MESSAGE
    # Ids are page ids; anything else (or too long for a bigint) is not routed here at all.
    lookup_value_regex = r"[0-9]{1,18}"

    def not_found(self):
        return NotFound(NOT_FOUND_MESSAGE)


@extend_schema_view(
    list=extend_schema(summary="我的课程", responses={200: CourseSummarySerializer(many=True), 401: NOT_AUTHENTICATED}),
    retrieve=extend_schema(
        summary="课程详情",
        parameters=[ID],
        responses={200: CourseDetailSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    ),
)
class CourseViewSet(StudyViewSet):
    def list(self, request):
        courses = selectors.courses_for(request.user)
        return Response(CourseSummarySerializer(selectors.course_overviews(request.user, courses), many=True).data)

    def retrieve(self, request, pk):
        course = selectors.visible_course(request.user, int(pk))
        if course is None:
            raise self.not_found()
        [overview] = selectors.course_overviews(request.user, [course], with_lessons=True)
        return Response(CourseDetailSerializer(overview).data)


PROGRESS_ANSWERS = {200: ProgressSerializer, 401: NOT_AUTHENTICATED, 403: CSRF, 404: NOT_FOUND}


@extend_schema_view(
    retrieve=extend_schema(
        summary="课时内容（只读，不记录学习）",
        parameters=[ID],
        responses={200: LessonSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    ),
    open=extend_schema(summary="打开课时（开始计时）", parameters=[ID], request=None, responses=PROGRESS_ANSWERS),
    heartbeat=extend_schema(
        summary="上报学习时长",
        parameters=[ID],
        request=HeartbeatSerializer,
        responses={**PROGRESS_ANSWERS, 400: INVALID},
    ),
    complete=extend_schema(
        summary="标记课时已学完", parameters=[ID], request=None, responses={**PROGRESS_ANSWERS, 400: INVALID}
    ),
)
class LessonViewSet(StudyViewSet):
    def _visible(self, request, pk):
        found = selectors.visible_lesson(request.user, int(pk))
        if found is None:
            raise self.not_found()
        return found

    def _live(self, pk):
        """For the writes: the services check who may study the lesson (a refusal is answered
        with the same 404), so the audience is checked once, not twice."""
        lesson = selectors.live_lesson(int(pk))
        if lesson is None:
            raise self.not_found()
        return lesson

    def retrieve(self, request, pk):
        lesson, course = self._visible(request, pk)
        return Response(LessonSerializer(selectors.lesson_detail(request.user, lesson, course)).data)

    @action(detail=True, methods=["post"])
    def open(self, request, pk):
        lesson = self._live(pk)
        return Response(ProgressSerializer(services.open_lesson(request.user, lesson)).data)

    @action(detail=True, methods=["post"])
    def heartbeat(self, request, pk):
        # The hot request of the study pages: the service's one statement checks the lesson
        # and the audience as it credits (a refusal is the same 404).
        seconds = validated(HeartbeatSerializer, request.data)["seconds"]
        progress = services.record_study_time(request.user, int(pk), seconds)
        return Response(represented(ProgressSerializer, progress))

    @action(detail=True, methods=["post"])
    def complete(self, request, pk):
        lesson = self._live(pk)
        return Response(ProgressSerializer(services.complete_lesson(request.user, lesson)).data)


class MyProgressView(APIView):
    """One object (courses and totals), so a plain view: a ViewSet's ``list`` would be
    documented as an array."""

    @extend_schema(summary="我的学习进度", responses={200: MyProgressSerializer, 401: NOT_AUTHENTICATED})
    def get(self, request):
        overviews = selectors.course_overviews(request.user, selectors.courses_for(request.user))
        return Response(MyProgressSerializer({"courses": overviews, "totals": selectors.study_totals(overviews)}).data)
