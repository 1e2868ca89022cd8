"""Notices (通知公告) a unit sends to members, and one receipt row per recipient.

A notice is a draft until it is sent; sending resolves the audience once and freezes it as
``NoticeRecipient`` rows (a member who joins the branch later does not receive it, one who
leaves keeps it). Rules live in ``services`` (writes) and ``selectors`` (who reads what).
The body is plain text: it is shown escaped in the admin and as text in the member area, so
no sanitiser is involved and nothing a sender types can become markup.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    MEETING = "meeting", "会议通知"
    STUDY = "study", "学习安排"
    DUES = "dues", "缴纳党费提醒"
    OTHER = "other", "其他"


class Reply(models.TextChoices):
    ATTEND = "attend", "参加"
    ABSENT = "absent", "不参加"


class Notice(models.Model):
    title = models.CharField("标题", max_length=100)
    body = models.TextField("正文", max_length=5000)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.MEETING)
    sender_unit = models.ForeignKey(
        "accounts.OrganisationUnit", verbose_name="发文组织", on_delete=models.PROTECT, related_name="sent_notices"
    )
    # The one audience rule (cms/accounts/audience.py): statuses (none = every status but
    # 已转出) and units with everything below them. A notice names at least one unit.
    audience_statuses = models.JSONField("面向身份", default=list, blank=True)
    audience_units = models.ManyToManyField(
        "accounts.OrganisationUnit", verbose_name="面向组织", related_name="+", help_text="包括其下所有组织。"
    )
    requires_confirmation = models.BooleanField("需要已读确认", default=False)
    requires_reply = models.BooleanField("需要回执", default=False, help_text="参加 / 不参加（不参加须填写原因）。")
    deadline = models.DateTimeField("截止时间", null=True, blank=True, help_text="回执须在此时间之前提交。")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="起草人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True, db_index=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发送人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "通知公告"
        verbose_name_plural = "通知公告"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.sent_at is None


class NoticeRecipient(models.Model):
    """One member's copy of a sent notice: what they did with it and when they were last
    reminded. ``unit`` is the member's unit at sending, so the per-unit status and a
    secretary's view stay the same after a transfer."""

    notice = models.ForeignKey(Notice, verbose_name="通知", on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="notice_receipts"
    )
    unit = models.ForeignKey(
        "accounts.OrganisationUnit",
        verbose_name="所在组织",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    reply = models.CharField("回执", max_length=10, choices=Reply.choices, blank=True)
    reason = models.CharField("不参加原因", max_length=500, blank=True)
    replied_at = models.DateTimeField("回执时间", null=True, blank=True)
    last_reminded_at = models.DateTimeField("最近提醒时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知接收人"
        verbose_name_plural = "通知接收人"
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notice_recipient_once")]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["notice", "unit"])]

    def __str__(self):
        return f"{self.notice} → {self.user}"
