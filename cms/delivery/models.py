"""Push channels (group robots and webhooks per organisation unit), the delivery log that is
also the work queue of the delivery task, and members' email choices.

A channel's ``address`` holds the robot's token and ``secret`` its signing key: both are
credentials. Neither is ever rendered back in full (``masked_address``), logged, or copied
into a delivery's ``last_error`` (cms/delivery/transport.py scrubs platform answers)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone

#: The platform keys of cms.delivery.platforms, spelled out here so that migrations and
#: forms do not depend on that package being importable (cms/delivery/transport.py).
KIND_CHOICES = [
    ("wecom", "企业微信群机器人"),
    ("dingtalk", "钉钉自定义机器人"),
    ("feishu", "飞书自定义机器人"),
    ("webhook", "通用 Webhook"),
]


class Topic(models.TextChoices):
    """What a channel subscribes to; every event belongs to one topic."""

    PUBLISH = "publish", "网站发布"
    NOTICE = "notice", "通知公告"


def default_topics() -> list[str]:
    return [Topic.PUBLISH.value, Topic.NOTICE.value]


def mask_address(address: str) -> str:
    """Host plus the last four characters: enough to tell two robots apart, useless to
    anyone who wants to post to them."""
    try:
        host = urlsplit(address).hostname or ""
    except ValueError:
        host = ""
    tail = address[-4:] if len(address) >= 12 else ""
    return f"{host}…{tail}" if host else "…" + tail


class Channel(models.Model):
    name = models.CharField("名称", max_length=100)
    unit = models.ForeignKey(
        "accounts.OrganisationUnit",
        verbose_name="所属组织",
        null=True,
        blank=True,
        # Not SET_NULL: a branch's robot must never silently become the whole committee's.
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空表示整个党委：接收全部消息。党支部的渠道只接收本支部的消息。",
    )
    kind = models.CharField("平台", max_length=20, choices=KIND_CHOICES)
    address = models.TextField("Webhook 地址")
    secret = models.CharField("签名密钥", max_length=500, blank=True)
    topics = models.JSONField("接收的消息", default=default_topics)
    enabled = models.BooleanField("启用", default=True)
    # Health: the last good delivery, since when it has been failing, and why.
    last_success_at = models.DateTimeField("最近成功", null=True, blank=True)
    failing_since = models.DateTimeField("连续失败开始于", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    # A permanent error (bad key or signature, robot removed) stops the channel until an
    # administrator edits it; its messages wait meanwhile.
    stopped_reason = models.TextField("停用原因", blank=True)
    stopped_at = models.DateTimeField("自动停用时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "推送渠道"
        verbose_name_plural = "推送渠道"
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def masked_address(self) -> str:
        return mask_address(self.address)

    @property
    def active(self) -> bool:
        return self.enabled and not self.stopped_reason

    @property
    def health(self) -> str:
        if not self.enabled:
            return "已停用"
        if self.stopped_reason:
            return "已自动停用"
        if self.failing_since:
            return "发送失败，正在重试"
        if self.last_success_at:
            return "正常"
        return "尚未发送"


class Delivery(models.Model):
    """One message to one channel or one email address. Rows are the queue: the delivery
    task claims due rows (status 发送中, a claim token, ``attempted_at``) with a conditional
    UPDATE, sends them and records the outcome here."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        RETRYING = "retrying", "等待重试"
        FAILED = "failed", "失败"
        DROPPED = "dropped", "已放弃"

    channel = models.ForeignKey(
        Channel,
        verbose_name="渠道",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # the log outlives a deleted channel
        related_name="deliveries",
    )
    email = models.EmailField("邮箱", blank=True)  # email deliveries: no channel
    event = models.CharField("事件", max_length=50)
    title = models.CharField("标题", max_length=300)
    message = models.JSONField("消息内容")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    next_attempt_at = models.DateTimeField("下次发送时间", default=timezone.now)
    # When it was last claimed for sending: rate limits count these per channel, and a row
    # left 发送中 by a worker that died is due again after DELIVERY_SENDING_STALE_SECONDS.
    attempted_at = models.DateTimeField("最近尝试", null=True, blank=True)
    claim = models.CharField("领取标记", max_length=32, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "推送记录"
        verbose_name_plural = "推送记录"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["channel", "attempted_at"], name="delivery_channel_window"),
            models.Index(fields=["channel", "created_at"], name="delivery_channel_log"),
            models.Index(fields=["event", "created_at"], name="delivery_event_log"),
            models.Index(fields=["created_at"], name="delivery_log"),
        ]

    def __str__(self):
        return self.title

    @property
    def target(self) -> str:
        if self.email:
            return f"邮件：{self.email}"
        return self.channel.name if self.channel_id else "（渠道已删除）"


class EmailPreference(models.Model):
    """Whether a member also wants email (off until they choose it in the member area)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="email_preference"
    )
    notices = models.BooleanField("通知公告发送邮件", default=False)
    answers = models.BooleanField("答复发送邮件", default=False)

    class Meta:
        verbose_name = "邮件提醒设置"
        verbose_name_plural = "邮件提醒设置"

    def __str__(self):
        return str(self.user)
