"""Member assessment endpoints under /api/member/ (docs/member-api.md, 测评). Thin: who may
see what comes from ``selectors``, every write goes through ``services``; a quiz that is
missing, unpublished or outside the person's audience, and an attempt that is not theirs,
are the same 404."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.accounts.selectors import scope_of
from cms.core.api import ErrorSerializer, represented, validated

from . import selectors, services, session_sheets
from .serializers import (
    AnswerInputSerializer,
    AttemptSerializer,
    AttemptSummarySerializer,
    GradingSerializer,
    MasterySerializer,
    NotebookSerializer,
    PracticeInputSerializer,
    QuizDetailSerializer,
    QuizSummarySerializer,
    RankingSerializer,
    ResultSerializer,
    SavedAnswerSerializer,
    SubmitInputSerializer,
)

NOT_FOUND_MESSAGE = "未找到该测验或作答记录，或您不在测验范围内。"

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
QUESTION = OpenApiParameter("question_id", int, OpenApiParameter.PATH)
NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description="未登录或登录已过期（code = not_authenticated）。")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=f"{NOT_FOUND_MESSAGE}（code = not_found）")
CSRF = OpenApiResponse(ErrorSerializer, description="缺少或错误的 CSRF 令牌（code = csrf_failed）。")
REFUSED = OpenApiResponse(
    ErrorSerializer,
    description=(
        "输入有误（code = invalid）或被拒绝：not_open、closed、attempts_exhausted、no_questions、time_up、"
        "already_submitted、not_submitted、not_published。"
    ),
)


class Refused(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST


def _service(call):
    """Run a service, turning its coded refusals into the API's answers."""
    try:
        return call()
    except services.Refused as error:
        raise Refused(error.messages[0], code=error.code) from None


class AssessmentViewMixin:
    # Read by cms.core.api.exception_handler for every 404 here, including a service's
    # PermissionDenied: "not yours" must look exactly like "does not exist".
    not_found_message = NOT_FOUND_MESSAGE
    parser_classes = [JSONParser]

    def not_found(self):
        return exceptions.NotFound(NOT_FOUND_MESSAGE)


@extend_schema_view(
    list=extend_schema(summary="我的测验", responses={200: QuizSummarySerializer(many=True), 401: NOT_AUTHENTICATED}),
    retrieve=extend_schema(
        summary="测验详情（不含题目）",
        parameters=[ID],
        responses={200: QuizDetailSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    ),
)
class QuizViewSet(AssessmentViewMixin, viewsets.ViewSet):
    lookup_value_regex = r"[0-9]{1,18}"

    def _quiz(self, request, pk):
        quiz = selectors.visible_quiz(request.user, int(pk))
        if quiz is None:
            raise self.not_found()
        return quiz

    def list(self, request):
        services.finalise_expired(request.user)
        overviews = selectors.quiz_overviews(request.user, selectors.quizzes_for(request.user))
        return Response(QuizSummarySerializer(overviews, many=True).data)

    def retrieve(self, request, pk):
        quiz = self._quiz(request, pk)
        services.finalise_expired(request.user)
        [overview] = selectors.quiz_overviews(request.user, [quiz])
        counts = selectors.answered_counts(overview.attempts)
        return Response(QuizDetailSerializer(overview, context={"answered_counts": counts}).data)

    @extend_schema(
        summary="开始或继续作答",
        parameters=[ID],
        request=None,
        responses={
            200: AttemptSerializer,
            201: AttemptSerializer,
            400: REFUSED,
            401: NOT_AUTHENTICATED,
            403: CSRF,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["post"])
    def attempts(self, request, pk):
        quiz = selectors.quiz_to_start(request.user, int(pk))
        if quiz is None:
            raise self.not_found()
        attempt, created = _service(lambda: services.start_attempt(request.user, quiz))
        return _answer_sheet(request, attempt, created)


@extend_schema_view(
    list=extend_schema(
        summary="我的作答记录", responses={200: AttemptSummarySerializer(many=True), 401: NOT_AUTHENTICATED}
    ),
    retrieve=extend_schema(
        summary="作答（继续答题：题目、已保存的答案、剩余时间）",
        parameters=[ID],
        responses={200: AttemptSerializer, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    ),
)
class AttemptViewSet(AssessmentViewMixin, viewsets.ViewSet):
    lookup_value_regex = r"[0-9]{1,18}"

    def _attempt(self, request, pk):
        attempt = selectors.my_attempt(request.user, int(pk))
        if attempt is None:
            raise self.not_found()
        return attempt

    def list(self, request):
        services.finalise_expired(request.user)
        attempts = list(selectors.my_attempts(request.user))
        counts = selectors.answered_counts(attempts)
        return Response(AttemptSummarySerializer(attempts, many=True, context={"answered_counts": counts}).data)

    def retrieve(self, request, pk):
        services.finalise_expired(request.user)
        return _answer_sheet(request, self._attempt(request, pk))

    @extend_schema(
        summary="保存一题答案",
        parameters=[ID, QUESTION],
        request=AnswerInputSerializer,
        responses={200: SavedAnswerSerializer, 400: REFUSED, 401: NOT_AUTHENTICATED, 403: CSRF, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["put"], url_path=r"answers/(?P<question_id>[0-9]{1,18})")
    def answers(self, request, pk, question_id):
        answer = validated(AnswerInputSerializer, request.data).get("answer")
        kept = session_sheets.kept(request.session, request.user, int(pk))
        attempt, record = _service(
            lambda: services.save_answer(request.user, int(pk), int(question_id), answer, kept=kept)
        )
        item = next(item for item in attempt.items if item["q"] == record.question_id)
        return Response(
            represented(
                SavedAnswerSerializer,
                {
                    "question_id": record.question_id,
                    "answer": selectors.to_shown(item, item["t"], record.answer),
                    "saved_at": record.saved_at,
                    "remaining_seconds": selectors.remaining_seconds(attempt, record.saved_at),
                },
            )
        )

    @extend_schema(
        summary="交卷",
        parameters=[ID],
        request=SubmitInputSerializer,
        responses={
            200: ResultSerializer,
            202: GradingSerializer,
            400: REFUSED,
            401: NOT_AUTHENTICATED,
            403: CSRF,
            404: NOT_FOUND,
        },
        description=(
            "交卷即记录交卷时间，不再接受答案；成绩随后由后台评出（通常 1 秒内）：答复 202 时请在 "
            "retry_after_seconds 秒后查询作答结果。同一次作答再次交卷（重试、另一个标签页）不会重复计分，"
            "答复同样的交卷时间，已评出时直接返回结果。"
        ),
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk):
        submission = validated(SubmitInputSerializer, request.data)["key"]
        hand_in = _service(lambda: services.submit(request.user, int(pk), submission))
        if hand_in.earlier is not None and hand_in.earlier.graded:
            return Response(ResultSerializer(selectors.attempt_result(hand_in.earlier)).data)
        return _grading(hand_in)

    @extend_schema(
        summary="作答结果",
        parameters=[ID],
        responses={
            200: ResultSerializer,
            202: GradingSerializer,
            400: REFUSED,
            401: NOT_AUTHENTICATED,
            404: NOT_FOUND,
        },
        description="已交卷、成绩尚未评出时答复 202（请在 retry_after_seconds 秒后再查询）。",
    )
    @action(detail=True, methods=["get"])
    def result(self, request, pk):
        waiting = services.waiting_hand_in(request.user, int(pk))
        if waiting is not None:
            return _grading(waiting)
        services.finalise_expired(request.user)  # also grades a hand-in the worker has not reached
        attempt = self._attempt(request, pk)
        if not attempt.submitted:
            raise Refused(services.NOT_SUBMITTED_MESSAGE, code="not_submitted")
        if not attempt.graded:
            return _grading(services.HandIn(attempt.pk, attempt.submitted_at, attempt))
        return Response(ResultSerializer(selectors.attempt_result(attempt)).data)


def _answer_sheet(request, attempt, created: bool = False) -> Response:
    session_sheets.keep(request.session, attempt)  # the answer saves that follow need not read it
    sheet = selectors.answer_sheet(attempt, new=created)
    return Response(
        AttemptSerializer(attempt, context={"sheet": sheet}).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


def _grading(hand_in: services.HandIn) -> Response:
    return Response(
        represented(GradingSerializer, hand_in),
        status=status.HTTP_202_ACCEPTED,
        headers={"Retry-After": str(hand_in.retry_after_seconds)},
    )


class MasteryView(AssessmentViewMixin, APIView):
    @extend_schema(
        summary="我的知识点掌握情况（最薄弱的在前）", responses={200: MasterySerializer, 401: NOT_AUTHENTICATED}
    )
    def get(self, request):
        rows = selectors.my_mastery(request.user)
        return Response(
            MasterySerializer({"points": rows, "weak_point_ids": selectors.weak_point_ids(request.user, rows)}).data
        )


class NotebookView(AssessmentViewMixin, APIView):
    @extend_schema(summary="错题本", responses={200: NotebookSerializer, 401: NOT_AUTHENTICATED})
    def get(self, request):
        entries = selectors.my_notebook(request.user)
        return Response(NotebookSerializer({"total": len(entries), "entries": entries}).data)


class PracticeView(AssessmentViewMixin, APIView):
    @extend_schema(
        summary="开始练习（每日一练、薄弱点练习、错题练习）",
        request=PracticeInputSerializer,
        responses={200: AttemptSerializer, 201: AttemptSerializer, 400: REFUSED, 401: NOT_AUTHENTICATED, 403: CSRF},
    )
    def post(self, request):
        data = PracticeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt, created = _service(
            lambda: services.start_practice(
                request.user, data.validated_data["source"], data.validated_data.get("knowledge_points")
            )
        )
        return _answer_sheet(request, attempt, created)


class RankingView(AssessmentViewMixin, APIView):
    @extend_schema(
        summary="知识竞赛排名",
        parameters=[ID],
        responses={200: RankingSerializer, 400: REFUSED, 401: NOT_AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id):
        quiz = selectors.visible_quiz(request.user, int(id))
        if quiz is None or not quiz.is_contest:
            raise self.not_found()
        if not selectors.ranking_published(quiz):
            raise Refused("排名尚未公布。", code="not_published")
        services.finalise_expired_for_quiz(quiz)  # closed tabs count for what they answered
        entries = selectors.contest_ranking(quiz)
        me = next((e for e in entries if e.attempt.user_id == request.user.pk), None)
        units = []
        scope = scope_of(request.user)
        if not scope.is_empty:
            by_unit: dict[str, list] = {}
            for entry in entries:
                if scope.everything or entry.attempt.unit_id in scope.unit_ids:
                    by_unit.setdefault(entry.unit or "（无组织）", []).append(entry)
            units = [{"unit": unit, "entries": rows} for unit, rows in by_unit.items()]
        return Response(
            RankingSerializer(
                {"quiz": quiz, "entries": entries, "me": me, "units": units}, context={"user": request.user}
            ).data
        )
