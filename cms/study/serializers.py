"""JSON shapes of the study endpoints, exactly as docs/member-api.md names them. They read
the selectors' result objects (``CourseProgress``, ``LessonStatus``, ``LessonDetail``) and
progress rows; no rule is decided here."""

from __future__ import annotations

from rest_framework import serializers

from .selectors import LessonDetail
from .services import MAX_REPORT_SECONDS

COURSE_STATES = [("not_started", "未开始"), ("in_progress", "学习中"), ("completed", "已学完")]
SECONDS_MESSAGE = f"学习时长须为 1 到 {MAX_REPORT_SECONDS} 之间的整数（秒）。"


class ProgressSerializer(serializers.Serializer):
    """Progress: one person's record of one lesson."""

    lesson_id = serializers.IntegerField()
    opened_at = serializers.DateTimeField()
    last_active_at = serializers.DateTimeField()
    seconds_spent = serializers.IntegerField()
    required_seconds = serializers.IntegerField()
    completed = serializers.SerializerMethodField()
    completed_at = serializers.DateTimeField(allow_null=True)

    def get_completed(self, progress) -> bool:
        return progress.completed_at is not None


class CourseSummarySerializer(serializers.Serializer):
    """CourseSummary, from a ``selectors.CourseProgress``."""

    id = serializers.IntegerField(source="course.pk")
    title = serializers.CharField(source="course.title")
    intro = serializers.CharField(source="course.intro")
    required = serializers.BooleanField(source="course.required")
    deadline = serializers.DateField(source="course.deadline", allow_null=True)
    lessons_total = serializers.IntegerField()
    lessons_completed = serializers.IntegerField()
    seconds_spent = serializers.IntegerField()
    state = serializers.ChoiceField(choices=COURSE_STATES)
    state_label = serializers.CharField()
    overdue = serializers.BooleanField(help_text="必修课程已过完成期限仍未学完")


class LessonSummarySerializer(serializers.Serializer):
    """LessonSummary, from a ``selectors.LessonStatus``."""

    id = serializers.IntegerField(source="lesson.pk")
    title = serializers.CharField(source="lesson.title")
    summary = serializers.CharField(source="lesson.summary")
    required_seconds = serializers.IntegerField()
    seconds_spent = serializers.IntegerField()
    opened = serializers.BooleanField()
    completed = serializers.BooleanField()


class CourseDetailSerializer(CourseSummarySerializer):
    lessons = LessonSummarySerializer(many=True)


class CourseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()


class LessonSerializer(serializers.Serializer):
    """Lesson, from a ``selectors.LessonDetail``."""

    id = serializers.IntegerField(source="lesson.pk")
    title = serializers.CharField(source="lesson.title")
    summary = serializers.CharField(source="lesson.summary")
    course = CourseRefSerializer()
    body_html = serializers.SerializerMethodField(help_text="正文 HTML；图片、音视频和附件均为本站相对地址")
    required_seconds = serializers.IntegerField()
    previous_id = serializers.IntegerField(allow_null=True)
    next_id = serializers.IntegerField(allow_null=True)
    progress = ProgressSerializer(source="record", allow_null=True)

    def get_body_html(self, detail: LessonDetail) -> str:
        # The site's block rules (cms/core/block_output.py) with Wagtail's URLs: images
        # become renditions and media/attachments point at /documents/, which checks
        # collection privacy. The page inserts it with innerHTML; `site_html` ends with the
        # one allow-list sanitiser.
        return str(detail.lesson.body.render_as_block())


class HeartbeatSerializer(serializers.Serializer):
    seconds = serializers.IntegerField(
        min_value=1,
        max_value=MAX_REPORT_SECONDS,
        help_text="自上次上报以来页面可见的秒数",
        error_messages={
            key: SECONDS_MESSAGE
            for key in ("required", "null", "invalid", "min_value", "max_value", "max_string_length")
        },
    )


class TotalsSerializer(serializers.Serializer):
    courses = serializers.IntegerField()
    completed = serializers.IntegerField()
    overdue = serializers.IntegerField()
    seconds_spent = serializers.IntegerField()


class MyProgressSerializer(serializers.Serializer):
    courses = CourseSummarySerializer(many=True)
    totals = TotalsSerializer()
