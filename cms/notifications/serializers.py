"""JSON shapes of the member endpoints (docs/member-api.md: Notices)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from .models import Kind, NoticeRecipient, Reply
from .services import REASON_MAX, deadline_passed


def _when(value):
    return serializers.DateTimeField().to_representation(value) if value else None


class NoticeSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="通知的编号（URL 中使用）")
    title = serializers.CharField(help_text="纯文本，显示时须转义")
    kind = serializers.ChoiceField(choices=Kind.choices)
    kind_label = serializers.CharField()
    sender = serializers.CharField(help_text="发文组织的名称")
    sent_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    requires_confirmation = serializers.BooleanField()
    requires_reply = serializers.BooleanField()
    read = serializers.BooleanField(help_text="已打开过（false 即未读，列表中排在前面）")
    confirmed = serializers.BooleanField()
    reply = serializers.ChoiceField(choices=Reply.choices, allow_blank=True, help_text="attend、absent，未回执为空")
    reply_label = serializers.CharField(allow_blank=True)
    deadline_passed = serializers.BooleanField()

    def to_representation(self, receipt: NoticeRecipient):
        notice = receipt.notice
        now = self.context.get("now") or timezone.now()
        return {
            "id": notice.pk,
            "title": notice.title,
            "kind": notice.kind,
            "kind_label": notice.get_kind_display(),
            "sender": notice.sender_unit.name,
            "sent_at": _when(notice.sent_at),
            "deadline": _when(notice.deadline),
            "requires_confirmation": notice.requires_confirmation,
            "requires_reply": notice.requires_reply,
            "read": receipt.read_at is not None,
            "confirmed": receipt.confirmed_at is not None,
            "reply": receipt.reply,
            "reply_label": receipt.get_reply_display() if receipt.reply else "",
            "deadline_passed": deadline_passed(notice, now),
        }


class NoticeDetailSerializer(NoticeSummarySerializer):
    body = serializers.CharField(help_text="纯文本（可含换行），显示时须转义")
    read_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True, help_text="不参加的原因")
    replied_at = serializers.DateTimeField(allow_null=True)
    can_reply = serializers.BooleanField(help_text="需要回执且未过截止时间（截止前可修改回执）")

    def to_representation(self, receipt: NoticeRecipient):
        data = super().to_representation(receipt)
        data.update(
            body=receipt.notice.body,
            read_at=_when(receipt.read_at),
            confirmed_at=_when(receipt.confirmed_at),
            reason=receipt.reason,
            replied_at=_when(receipt.replied_at),
            can_reply=receipt.notice.requires_reply and not data["deadline_passed"],
        )
        return data


class ReplySerializer(serializers.Serializer):
    attend = serializers.BooleanField(
        error_messages={
            "required": "请选择参加或不参加。",
            "invalid": "请选择参加或不参加。",
            "null": "请选择参加或不参加。",
        }
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=REASON_MAX,
        error_messages={"max_length": f"原因最多 {REASON_MAX} 个字。", "invalid": "原因须为文字。"},
    )
