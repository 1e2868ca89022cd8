from django.conf import settings
from django.db import models


class ContentChange(models.Model):
    """One editorial event that must reach content/ and the public site.

    Signal handlers only record a change and enqueue the publish task; the task turns each
    pending change into one content/ commit (author = the editor) and then runs one build
    for the whole batch, so bursts of publishes coalesce.
    """

    class Action(models.TextChoices):
        PUBLISH = "publish", "发布"
        UNPUBLISH = "unpublish", "撤销发布"
        MOVE = "move", "移动"
        DELETE = "delete", "删除"
        PRIVACY = "privacy", "访问权限变更"
        SETTINGS = "settings", "站点设置变更"
        REBUILD = "rebuild", "全站同步"

    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    # Not a foreign key: the page may be gone by the time the worker runs.
    page_id = models.BigIntegerField("页面ID", null=True, blank=True)
    page_title = models.CharField("页面标题", max_length=255, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="作者", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    processed_at = models.DateTimeField("处理时间", null=True, blank=True, db_index=True)
    commit = models.CharField("内容提交", max_length=40, blank=True)

    class Meta:
        verbose_name = "内容变更"
        verbose_name_plural = "内容变更"
        ordering = ["created_at", "id"]

    def __str__(self):
        if self.page_title:
            return f"{self.get_action_display()}：{self.page_title}"
        return self.get_action_display()


class SiteBuild(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"  # a content rollback waiting for the worker
        RUNNING = "running", "构建中"
        SUCCEEDED = "succeeded", "成功"
        FAILED = "failed", "失败"

    class Kind(models.TextChoices):
        BUILD = "build", "构建"
        SWITCH = "switch", "切换到已保留版本"
        CONTENT_ROLLBACK = "content_rollback", "内容回滚并重建"

    started_at = models.DateTimeField("开始时间", auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.RUNNING)
    commit = models.CharField("内容提交", max_length=40, blank=True)
    release = models.CharField("版本目录", max_length=100, blank=True)
    changes = models.TextField("包含的变更", blank=True)
    error = models.TextField("错误信息", blank=True)
    # Rollbacks are recorded here too (who did it, and how): a switch to a kept release
    # builds nothing; a content rollback commits the old tree and builds it.
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.BUILD)
    # A content rollback's target commit (queued rollbacks run in the worker from this).
    target = models.CharField("回滚目标提交", max_length=40, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = "网站构建"
        verbose_name_plural = "网站构建"
        ordering = ["-started_at", "-id"]
        permissions = [("rollback_site", "可查看网站版本并回滚公开网站")]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.get_status_display()}"

    SUMMARY_LINES = 5

    @property
    def changes_summary(self) -> str:
        """The first few changes of a batch, for listings (a first build can hold hundreds)."""
        lines = [line for line in self.changes.splitlines() if line.strip()]
        if len(lines) <= self.SUMMARY_LINES:
            return "\n".join(lines)
        return "\n".join(lines[: self.SUMMARY_LINES] + [f"…… 共 {len(lines)} 项变更"])

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
