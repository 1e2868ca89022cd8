"""JSON shapes of the assessment endpoints, exactly as docs/member-api.md (测评) names them.
``AttemptQuestionSerializer`` has no field that could carry a correct answer or an
explanation; only ``ResultQuestionSerializer`` does, and it is fed by
``selectors.attempt_result``, which exists only for submitted attempts that allow review."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import selectors
from .answers import QuestionType
from .models import AttemptSource, MultipleChoiceRule, QuizKind


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()


class QuizRefSerializer(RefSerializer):
    kind = serializers.CharField()


class QuizSummarySerializer(serializers.Serializer):
    """QuizSummary, from a ``selectors.QuizOverview``."""

    id = serializers.IntegerField(source="quiz.pk")
    title = serializers.CharField(source="quiz.title")
    intro = serializers.CharField(source="quiz.intro")
    kind = serializers.ChoiceField(source="quiz.kind", choices=QuizKind.choices)
    kind_label = serializers.CharField(source="quiz.get_kind_display")
    state = serializers.CharField()
    state_label = serializers.CharField()
    opens_at = serializers.DateTimeField(source="quiz.opens_at", allow_null=True)
    closes_at = serializers.DateTimeField(source="quiz.closes_at", allow_null=True)
    starts_at = serializers.DateTimeField(source="quiz.starts_at", allow_null=True)
    time_limit_seconds = serializers.SerializerMethodField()
    question_count = serializers.IntegerField()
    pass_mark = serializers.IntegerField(source="quiz.pass_mark")
    attempt_limit = serializers.IntegerField(source="quiz.effective_attempt_limit", allow_null=True)
    attempts_used = serializers.IntegerField()
    attempts_left = serializers.IntegerField(allow_null=True)
    best_score = serializers.FloatField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    can_start = serializers.BooleanField()
    cannot_start_reason = serializers.CharField()
    current_attempt_id = serializers.SerializerMethodField()
    course = serializers.SerializerMethodField()
    ranking_available = serializers.BooleanField()

    def get_time_limit_seconds(self, overview) -> int | None:
        minutes = overview.quiz.time_limit_minutes
        return minutes * 60 if minutes else None

    def get_current_attempt_id(self, overview) -> int | None:
        current = overview.current_attempt
        return current.pk if current else None

    def get_course(self, overview) -> dict | None:
        course = overview.quiz.course
        if course is None or not course.live:
            return None
        return {"id": course.pk, "title": course.title}


class AttemptSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    quiz = QuizRefSerializer(allow_null=True)
    source = serializers.ChoiceField(choices=AttemptSource.choices)
    source_label = serializers.CharField(source="get_source_display")
    state = serializers.SerializerMethodField()
    state_label = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    graded = serializers.BooleanField()
    late = serializers.BooleanField()
    score = serializers.FloatField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    question_count = serializers.SerializerMethodField()
    answered_count = serializers.SerializerMethodField()

    def get_state(self, attempt) -> str:
        return "submitted" if attempt.submitted else "in_progress"

    def get_state_label(self, attempt) -> str:
        if not attempt.submitted:
            return "作答中"
        return "已交卷" if attempt.graded else "已交卷，判分中"

    def get_question_count(self, attempt) -> int:
        return len(attempt.items)

    def get_answered_count(self, attempt) -> int:
        counts = self.context.get("answered_counts")
        if counts is not None:
            return counts.get(attempt.pk, 0)
        return selectors.answered_count(attempt)


class QuizDetailSerializer(QuizSummarySerializer):
    multiple_choice_rule = serializers.ChoiceField(
        source="quiz.multiple_choice_rule", choices=MultipleChoiceRule.choices
    )
    multiple_choice_rule_label = serializers.CharField(source="quiz.get_multiple_choice_rule_display")
    allow_review = serializers.BooleanField(source="quiz.allow_review")
    attempts = AttemptSummarySerializer(many=True)


class OptionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()


class AttemptQuestionSerializer(serializers.Serializer):
    """Stems and options only: nothing here can carry an answer or an explanation."""

    id = serializers.IntegerField(source="question.pk")
    position = serializers.IntegerField()
    type = serializers.ChoiceField(source="question.type", choices=QuestionType.CHOICES)
    type_label = serializers.CharField(source="question.type_label")
    stem = serializers.CharField(source="question.stem")
    options = OptionSerializer(many=True)
    blanks = serializers.IntegerField()


class AttemptSerializer(AttemptSummarySerializer):
    """An attempt with its answer sheet, given as context ``sheet`` (``selectors.answer_sheet``)."""

    remaining_seconds = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()

    def get_answered_count(self, attempt) -> int:
        return self.context["sheet"].answered_count

    def get_remaining_seconds(self, attempt) -> int | None:
        return selectors.remaining_seconds(attempt)

    @extend_schema_field(AttemptQuestionSerializer(many=True))
    def get_questions(self, attempt) -> list[dict]:
        return AttemptQuestionSerializer(self.context["sheet"].questions, many=True).data

    def get_answers(self, attempt) -> dict:
        items = {item["q"]: item for item in attempt.items}
        return {
            str(pk): selectors.to_shown(items[pk], items[pk]["t"], record.answer)
            for pk, record in self.context["sheet"].answers.items()
            if pk in items and record.answer is not None
        }


class SavedAnswerSerializer(serializers.Serializer):
    question_id = serializers.IntegerField()
    answer = serializers.JSONField(allow_null=True)
    saved_at = serializers.DateTimeField()
    remaining_seconds = serializers.IntegerField(allow_null=True)


class AnswerInputSerializer(serializers.Serializer):
    answer = serializers.JSONField(
        allow_null=True, help_text="选择题为所选选项字母的列表，填空题为各空答案的列表；null 清除"
    )


class SubmitInputSerializer(serializers.Serializer):
    key = serializers.UUIDField(
        help_text="幂等提交标识（UUID），重试时使用同一个",
        error_messages={"invalid": "提交标识须为 UUID。", "required": "缺少提交标识。", "null": "缺少提交标识。"},
    )


class KnowledgePointRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class ResultQuestionSerializer(AttemptQuestionSerializer):
    my_answer = serializers.JSONField(allow_null=True)
    correct_answer = serializers.JSONField()
    accepted_answers = serializers.JSONField(help_text="填空题：各空可接受的全部答案")
    correct = serializers.BooleanField()
    credit = serializers.FloatField()
    explanation = serializers.CharField()
    knowledge_points = KnowledgePointRefSerializer(many=True)


class GradingSerializer(serializers.Serializer):
    """A hand-in whose score is on its way (HTTP 202): ask GET result/ again after
    ``retry_after_seconds``."""

    id = serializers.IntegerField(source="attempt_id")
    graded = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField()
    message = serializers.SerializerMethodField()
    retry_after_seconds = serializers.SerializerMethodField()

    def get_graded(self, hand_in) -> bool:
        return False

    def get_message(self, hand_in) -> str:
        return "已交卷，正在判分，请稍候。"

    def get_retry_after_seconds(self, hand_in) -> int:
        return hand_in.retry_after_seconds


class ResultSerializer(serializers.Serializer):
    graded = serializers.BooleanField(source="attempt.graded")
    attempt = AttemptSummarySerializer()
    score = serializers.FloatField(source="attempt.score")
    pass_mark = serializers.IntegerField(source="attempt.pass_mark", allow_null=True)
    passed = serializers.BooleanField(source="attempt.passed", allow_null=True)
    correct_count = serializers.IntegerField(source="attempt.correct_count")
    question_count = serializers.IntegerField()
    late_message = serializers.SerializerMethodField()
    review_allowed = serializers.BooleanField()
    questions = ResultQuestionSerializer(many=True)

    def get_late_message(self, result) -> str:
        return selectors.LATE_MESSAGE if result.attempt.late else ""


class MasteryPointSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="knowledge_point.pk")
    name = serializers.CharField(source="knowledge_point.name")
    path = serializers.CharField(source="knowledge_point.path_name")
    mastery = serializers.FloatField(source="percent")
    level = serializers.SerializerMethodField()
    level_label = serializers.SerializerMethodField()
    answered = serializers.IntegerField()
    last_answered_at = serializers.DateTimeField(source="as_of")

    def get_level(self, row) -> str:
        return selectors.mastery_level(row.percent)[0]

    def get_level_label(self, row) -> str:
        return selectors.mastery_level(row.percent)[1]


class MasterySerializer(serializers.Serializer):
    points = MasteryPointSerializer(many=True)
    weak_point_ids = serializers.ListField(child=serializers.IntegerField())


class NotebookEntrySerializer(serializers.Serializer):
    question = serializers.SerializerMethodField()
    knowledge_points = KnowledgePointRefSerializer(source="question.knowledge_points.all", many=True)
    my_last_answer = serializers.SerializerMethodField()
    wrong_count = serializers.IntegerField()
    last_wrong_at = serializers.DateTimeField()
    correct_streak = serializers.IntegerField()

    def _item(self, entry) -> dict:
        question = entry.question
        letters = (
            list(question.option_letters()) if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE) else []
        )
        return {"q": question.pk, "t": question.type, "o": letters, "b": question.blank_count()}

    def get_question(self, entry) -> dict:
        return AttemptQuestionSerializer(selectors.AttemptQuestion(0, entry.question, self._item(entry))).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_my_last_answer(self, entry) -> list | None:
        return selectors.to_shown(self._item(entry), entry.question.type, entry.last_answer)


class NotebookSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    entries = NotebookEntrySerializer(many=True)


#: The practice a member can start (a quiz attempt is started from the quiz).
PRACTICE_SOURCES = [AttemptSource.DAILY, AttemptSource.WEAK, AttemptSource.NOTEBOOK]


class PracticeInputSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=PRACTICE_SOURCES,
        error_messages={"invalid_choice": "练习来源须为 daily、weak 或 notebook。"},
    )
    knowledge_points = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=50
    )


class RankingEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_null=True)
    score = serializers.FloatField()
    seconds = serializers.IntegerField()
    is_me = serializers.SerializerMethodField()

    def get_is_me(self, entry) -> bool:
        return entry.attempt.user_id == self.context["user"].pk


class UnitRankingSerializer(serializers.Serializer):
    unit = serializers.CharField()
    entries = RankingEntrySerializer(many=True)


class RankingSerializer(serializers.Serializer):
    quiz = RefSerializer()
    entries = RankingEntrySerializer(many=True)
    me = RankingEntrySerializer(allow_null=True)
    units = UnitRankingSerializer(many=True)
