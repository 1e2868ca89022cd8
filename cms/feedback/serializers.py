"""JSON shapes of the feedback endpoints, exactly as docs/member-api.md (问卷) names them. They
read ``selectors.FormOverview`` objects and the definition dicts; no rule is decided here."""

from __future__ import annotations

from rest_framework import serializers

from .models import FieldType, FormKind

STATES = [("open", "可填写"), ("answered", "已填写"), ("closed", "已截止"), ("upcoming", "未开始")]
ANSWERS_HELP = (
    "问题名 → 答案：文本/单选/下拉为字符串，多选为字符串数组，评分为 1–5 的整数，日期为 YYYY-MM-DD，"
    "数字为数字或数字字符串，附件为上传接口返回的 token，民主评议为 {人员 id: {grade, comment}}。"
)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FieldSerializer(serializers.Serializer):
    """Field: one question (``selectors.field_definition``)."""

    name = serializers.CharField(help_text="答案的键")
    type = serializers.ChoiceField(choices=FieldType.choices)
    label = serializers.CharField()
    help_text = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.CharField(), help_text="单选、多选、下拉的选项")
    min = serializers.FloatField(allow_null=True, help_text="数字、评分的最小值")
    max = serializers.FloatField(allow_null=True, help_text="数字、评分的最大值")
    max_length = serializers.IntegerField(allow_null=True, help_text="文本答案的最多字数")
    accept = serializers.ListField(child=serializers.CharField(), help_text="附件允许的扩展名")
    max_bytes = serializers.IntegerField(allow_null=True, help_text="附件的最大字节数")
    people = PersonSerializer(many=True, help_text="民主评议：本支部其他党员")
    grades = serializers.ListField(child=serializers.CharField(), help_text="民主评议的等次")


class FormSummarySerializer(serializers.Serializer):
    """FormSummary, from a ``selectors.FormOverview``."""

    id = serializers.IntegerField(source="form.pk")
    title = serializers.CharField(source="form.title")
    kind = serializers.ChoiceField(source="form.kind", choices=FormKind.choices)
    kind_label = serializers.CharField(source="form.get_kind_display")
    state = serializers.ChoiceField(choices=STATES)
    opens_at = serializers.DateTimeField(source="form.opens_at", allow_null=True)
    closes_at = serializers.DateTimeField(source="form.closes_at", allow_null=True)
    anonymous = serializers.BooleanField(source="form.anonymous")
    allow_change = serializers.BooleanField(source="form.allow_change")
    submitted_at = serializers.CharField(
        allow_null=True, help_text="提交时间（ISO 格式）；匿名问卷只给出日期 YYYY-MM-DD"
    )
    has_draft = serializers.BooleanField()


class DraftSerializer(serializers.Serializer):
    answers = serializers.DictField(help_text=ANSWERS_HELP)
    saved_at = serializers.DateTimeField()


class FormDetailSerializer(FormSummarySerializer):
    intro = serializers.CharField(source="form.intro")
    thank_you_text = serializers.CharField(source="form.thank_you_text")
    fields = FieldSerializer(many=True)
    draft = DraftSerializer(allow_null=True)
    answers = serializers.DictField(allow_null=True, help_text="本人已提交的答案；匿名问卷始终为 null")


class AnswersInputSerializer(serializers.Serializer):
    answers = serializers.DictField(
        help_text=ANSWERS_HELP,
        error_messages={
            "required": "缺少答案。",
            "null": "缺少答案。",
            "not_a_dict": "答案格式无效，请刷新页面后重试。",
        },
    )


class SavedDraftSerializer(serializers.Serializer):
    saved_at = serializers.DateTimeField()


class SubmitSerializer(AnswersInputSerializer):
    submission_key = serializers.UUIDField(
        help_text="页面每次提交尝试生成一次的 UUID；重试时沿用",
        error_messages={
            "required": "缺少提交标识，请刷新页面后重试。",
            "null": "缺少提交标识，请刷新页面后重试。",
            "invalid": "提交标识无效，请刷新页面后重试。",
        },
    )


class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        error_messages={
            "required": "请选择要上传的文件。",
            "invalid": "请选择要上传的文件。",
            "empty": "上传的文件是空的。",
            "no_name": "请选择要上传的文件。",
            "max_length": "文件名过长。",
        }
    )


class UploadedFileSerializer(serializers.Serializer):
    token = serializers.CharField(source="pk", help_text="作为附件题的答案提交")
    name = serializers.CharField()
    size = serializers.IntegerField()


class PublicSubmissionSerializer(serializers.Serializer):
    answers = serializers.DictField(
        help_text=ANSWERS_HELP,
        error_messages={
            "required": "缺少答案。",
            "null": "缺少答案。",
            "not_a_dict": "答案格式无效，请刷新页面后重试。",
        },
    )
    website = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=200,
        help_text="防机器人字段：页面隐藏，须留空",
        error_messages={
            "invalid": "提交未被接受，请刷新页面后重试。",
            "max_length": "提交未被接受，请刷新页面后重试。",
        },
    )


class PublicThanksSerializer(serializers.Serializer):
    detail = serializers.CharField()
