from django.conf import settings
from django.db import models


class ContentChange(models.Model):
    """One editorial event that must reach content/ and the public site.

    Signal handlers only record a change and enqueue the publish task; the task turns each
    pending change into one content/ commit (author = the editor), exported from the
    revision it published, and then runs one build for the whole batch, so bursts of
    publishes coalesce. `processed_at`/`commit`: committed to content/ (the commit carries
    the line ``变更编号：<id>``); `released_at`/`released_in`: a successful build that
    contains it is live. Only then is the change done.
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
    page_id = models.BigIntegerField("页面ID", null=True, blank=True, db_index=True)
    page_title = models.CharField("页面标题", max_length=255, blank=True)
    # Where the page was when the change was made (Wagtail's url_path): the change is
    # exported there, even if a later move (with its own change) has moved the page since.
    url_path = models.TextField("页面路径", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The revision a publish made live: the change is exported from it, not from the page
    # as it is when the worker gets to it (later edits have their own changes).
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name="发布的版本",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    processed_at = models.DateTimeField("处理时间", null=True, blank=True, db_index=True)
    commit = models.CharField("内容提交", max_length=40, blank=True)
    released_at = models.DateTimeField("上线时间", null=True, blank=True, db_index=True)
    released_in = models.ForeignKey(
        "SiteBuild",
        verbose_name="上线的构建",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="released_changes",
    )

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
        # The process running it died (killed, machine restarted); what it carried was
        # published again automatically (cms/publishing/recovery.py).
        INTERRUPTED = "interrupted", "中断"

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
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who runs it, so that a build whose process died can be told from one still running.
    worker_id = models.CharField("后台任务进程", max_length=64, blank=True)
    hostname = models.CharField("主机", max_length=255, blank=True)
    pid = models.PositiveIntegerField("进程号", null=True, blank=True)

    INTERRUPTED_MESSAGE = "后台任务进程在构建过程中意外退出，已自动重新发布。"

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
        # An interrupted build's finished_at is when its death was noticed, not a duration.
        if self.finished_at is None or self.status == self.Status.INTERRUPTED:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class WorkerHeartbeat(models.Model):
    """A running `manage.py worker` process. It updates `last_seen_at` every few seconds
    (WORKER_HEARTBEAT_SECONDS, from a thread, so a long build does not stop it) and deletes
    its row when it stops; a row whose process is gone tells the other workers (and the
    next one to start) that what it was running was interrupted."""

    worker_id = models.CharField("进程标识", max_length=64, unique=True)  # django-tasks-db's worker_ids
    hostname = models.CharField("主机", max_length=255)
    pid = models.PositiveIntegerField("进程号")
    started_at = models.DateTimeField("启动时间")
    last_seen_at = models.DateTimeField("最近心跳", db_index=True)

    class Meta:
        verbose_name = "后台任务进程"
        verbose_name_plural = "后台任务进程"

    def __str__(self):
        return f"{self.hostname}:{self.pid}"


class PeriodicJob(models.Model):
    """A job the workers run periodically (publish_scheduled, the check for interrupted
    work), once per period across all of them: a worker runs it only if its conditional
    UPDATE of `last_run_at` succeeds (cms/publishing/workers.py claim_periodic_job)."""

    name = models.CharField("名称", max_length=100, unique=True)
    last_run_at = models.DateTimeField("上次运行")
    last_worker_id = models.CharField("运行的进程", max_length=64, blank=True)

    class Meta:
        verbose_name = "定时任务"
        verbose_name_plural = "定时任务"

    def __str__(self):
        return self.name
