"""JSON shapes of the member endpoints (docs/member-api.md: Consultations)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from . import selectors
from .models import Addressee, Kind, Message, State

_CHOICE_ERRORS = {"invalid_choice": "请从列表中选择。", "required": "请选择。", "null": "请选择。"}


def addressee_label(consultation) -> str:
    return "党委办公室" if consultation.addressee == Addressee.COMMITTEE else consultation.unit.name


class AttachmentSerializer(serializers.Serializer):
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="字节数")
    url = serializers.CharField(help_text="下载地址（须登录，仅提问人可下载）")


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Message.Kind.choices)
    kind_label = serializers.CharField()
    author = serializers.CharField(help_text="“我”，或答复人的姓名")
    text = serializers.CharField(help_text="纯文本，显示时须转义")
    created_at = serializers.DateTimeField()
    attachment = AttachmentSerializer(allow_null=True)

    def to_representation(self, message: Message):
        viewer = self.context["user"]
        attachment = None
        if message.attachment_name:
            attachment = {
                "name": message.attachment_name,
                "size": message.attachment_size,
                "url": reverse("member-consultation-attachment", args=[message.consultation_id, message.pk]),
            }
        if message.author_id == viewer.pk:
            author = "我"
        elif message.author is None:
            author = "（已注销）"
        else:
            author = message.author.display_name
        return {
            "id": message.pk,
            "kind": message.kind,
            "kind_label": message.get_kind_display(),
            "author": author,
            "text": message.text,
            "created_at": serializers.DateTimeField().to_representation(message.created_at),
            "attachment": attachment,
        }


class ConsultationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    kind_label = serializers.CharField()
    subject = serializers.CharField(help_text="纯文本，显示时须转义")
    addressee = serializers.ChoiceField(choices=Addressee.choices)
    addressee_label = serializers.CharField(help_text="答复的组织：所在党支部的名称或“党委办公室”")
    state = serializers.ChoiceField(choices=State.choices)
    state_label = serializers.CharField()
    public_consent = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    first_answered_at = serializers.DateTimeField(allow_null=True)
    last_answered_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    unseen_answer = serializers.BooleanField(help_text="有我还没看过的答复")

    def to_representation(self, item):
        dt = serializers.DateTimeField()
        when = lambda value: dt.to_representation(value) if value else None  # noqa: E731
        return {
            "id": item.pk,
            "kind": item.kind,
            "kind_label": item.get_kind_display(),
            "subject": item.subject,
            "addressee": item.addressee,
            "addressee_label": addressee_label(item),
            "state": item.state,
            "state_label": item.get_state_display(),
            "public_consent": item.public_consent,
            "created_at": when(item.created_at),
            "first_answered_at": when(item.first_answered_at),
            "last_answered_at": when(item.last_answered_at),
            "closed_at": when(item.closed_at),
            "unseen_answer": selectors.is_unseen(item),
        }


class ConsultationDetailSerializer(ConsultationSummarySerializer):
    messages = MessageSerializer(many=True)
    can_follow_up = serializers.BooleanField()
    can_close = serializers.BooleanField()

    def to_representation(self, item):
        data = super().to_representation(item)
        open_ = item.state != State.CLOSED
        data |= {
            "messages": MessageSerializer(selectors.thread(item), many=True, context=self.context).data,
            "can_follow_up": open_,
            "can_close": open_,
        }
        return data


class StrictBooleanField(serializers.BooleanField):
    """true/false only (JSON booleans, or the strings a form sends): "0", "on", "yes" … are
    refused rather than guessed at, as the schema says."""

    TRUE_VALUES = {True, "true", "True"}
    FALSE_VALUES = {False, "false", "False"}
    NULL_VALUES = set()


class AskSerializer(serializers.Serializer):
    """JSON, or multipart/form-data when a file is attached."""

    kind = serializers.ChoiceField(choices=Kind.choices, label="类型", error_messages=_CHOICE_ERRORS)
    addressee = serializers.ChoiceField(choices=Addressee.choices, label="提交给", error_messages=_CHOICE_ERRORS)
    subject = serializers.CharField(
        max_length=100,
        label="主题",
        error_messages={
            "required": "请填写主题。",
            "blank": "请填写主题。",
            "null": "请填写主题。",
            "max_length": "主题不能超过 100 字。",
            "invalid": "主题格式不正确。",
        },
    )
    text = serializers.CharField(
        max_length=5000,
        label="内容",
        error_messages={
            "required": "请填写内容。",
            "blank": "请填写内容。",
            "null": "请填写内容。",
            "max_length": "内容不能超过 5000 字。",
            "invalid": "内容格式不正确。",
        },
    )
    public_consent = StrictBooleanField(
        default=False,
        label="同意公开",
        help_text="同意在答复后将问题（经编辑改写、去除个人信息）公开到“常见问题”。",
        error_messages={"invalid": "请勾选或不勾选。"},
    )
    attachment = serializers.FileField(
        required=False,
        allow_null=True,
        allow_empty_file=False,
        label="附件",
        help_text="选填：PDF、Word、Excel、文本或 JPG/PNG 图片，不超过 10 MB。",
        error_messages={
            "invalid": "附件不是有效的文件。",
            "empty": "附件是空文件。",
            "no_name": "附件没有文件名。",
            "max_length": "附件文件名过长。",
        },
    )


class FollowUpSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=5000,
        label="追问内容",
        error_messages={
            "required": "请填写追问内容。",
            "blank": "请填写追问内容。",
            "null": "请填写追问内容。",
            "max_length": "追问内容不能超过 5000 字。",
            "invalid": "追问内容格式不正确。",
        },
    )
    attachment = serializers.FileField(
        required=False,
        allow_null=True,
        allow_empty_file=False,
        label="附件",
        help_text="选填：PDF、Word、Excel、文本或 JPG/PNG 图片，不超过 10 MB。",
        error_messages={"invalid": "附件不是有效的文件。", "empty": "附件是空文件。", "no_name": "附件没有文件名。"},
    )


class AddresseeOptionSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=Addressee.choices)
    label = serializers.CharField()
    available = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class KindOptionSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=Kind.choices)
    label = serializers.CharField()


class AskOptionsSerializer(serializers.Serializer):
    kinds = KindOptionSerializer(many=True)
    addressees = AddresseeOptionSerializer(many=True)
    sla_working_days = serializers.IntegerField(help_text="一般在多少个工作日内答复")
    attachment_max_bytes = serializers.IntegerField()
    attachment_extensions = serializers.ListField(child=serializers.CharField())
