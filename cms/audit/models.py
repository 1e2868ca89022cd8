"""The audit log: one append-only table whose rows form a SHA-256 hash chain.

Each entry's ``entry_hash`` is SHA-256 over a canonical JSON serialisation of its own fields
*and* the previous entry's hash (``prev_hash``), so changing, deleting or reordering any row
breaks the chain from that row on (``selectors.verify_chain``, ``manage.py audit_verify``).
The chain position ``seq`` is the primary key and is handed out under a lock on the single
``ChainHead`` row (``services.record``), never by the database's sequence, so it has no gaps
even when a transaction that appended rolls back.

The application cannot change the log: ``save()`` on an existing row, ``delete()`` and
``QuerySet.update/delete`` raise ``AppendOnlyError``. Only ``services.prune`` removes old
rows (raw SQL, after writing a checkpoint entry), and raw SQL from outside is what
``audit_verify`` detects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.db import models

GENESIS_HASH = "0" * 64


class AppendOnlyError(RuntimeError):
    """The audit log is append-only: rows are never changed or deleted by the application."""


#: Names of the detail keys ``signals`` and the explicit ``record`` calls write.
DETAIL_LABELS = {
    "channel": "入口",
    "username": "尝试的用户名",
    "refused_while_locked": "锁定期间",
    "failures": "失败次数",
    "group": "用户组",
    "added": "增加",
    "removed": "移除",
    "from": "原组织",
    "to": "新组织",
    "by_self": "本人设置",
    "status": "状态",
    "role": "职务",
    "release": "网站版本",
    "target": "目标",
    "kind": "类型",
    "value": "值",
    "records_removed": "清除记录数",
    "created": "新建",
    "updated": "更新",
    "unchanged": "未变",
    "rows": "行数",
    "filters": "筛选条件",
    "is_superuser": "超级用户",
    "is_staff": "后台账号",
    "is_active": "启用",
    "name": "名称",
    "unit": "所属组织",
    "topics": "接收的消息",
    "address": "Webhook 地址",
    "signing_key": "签名密钥",
    "enabled": "启用",
    "resumed": "恢复自动停用的渠道",
    "answer": "平台应答",
    "dropped": "放弃的排队消息",
}
_CHANNELS = {"admin": "管理后台", "member_api": "党员学习"}


def _detail_value(key: str, value) -> str:
    if key == "channel":
        return _CHANNELS.get(value, str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(str(item) for item in value) or "无"
    if isinstance(value, dict):
        return "，".join(f"{DETAIL_LABELS.get(k, k)}={v}" for k, v in sorted(value.items())) or "无"
    return str(value)


class Action(models.TextChoices):
    """The fixed list of what is audited (code, Chinese label)."""

    LOGIN = "auth.login", "登录成功"
    LOGOUT = "auth.logout", "退出登录"
    LOGIN_FAILED = "auth.login_failed", "登录失败"
    LOCKED_OUT = "auth.locked_out", "登录锁定"
    UNLOCKED = "auth.unlocked", "解除登录锁定"
    PASSWORD_CHANGED = "auth.password_changed", "设置密码"
    OTP_ENROLLED = "auth.otp_enrolled", "启用双重验证"
    OTP_REMOVED = "auth.otp_removed", "移除双重验证设备"
    GROUP_JOINED = "role.group_joined", "加入用户组"
    GROUP_LEFT = "role.group_left", "退出用户组"
    ACCOUNT_FLAGS = "role.account_flags", "账号权限标志变更"
    USER_PERMISSIONS = "role.user_permissions", "用户权限变更"
    GROUP_PERMISSIONS = "role.group_permissions", "用户组权限变更"
    GROUP_PAGE_PERMISSIONS = "role.group_page_permissions", "用户组页面/文件夹权限变更"
    GROUP_DELETED = "role.group_deleted", "删除用户组"
    ACCOUNT_DELETED = "role.account_deleted", "删除账号"
    PAGE_PUBLISHED = "content.published", "发布页面"
    PAGE_UNPUBLISHED = "content.unpublished", "撤下页面"
    SITE_SWITCHED = "content.release_switched", "网站回滚到已保留版本"
    CONTENT_ROLLBACK = "content.rollback", "网站内容回滚"
    MEDIA_PURGED = "content.media_purged", "清除媒体文件"
    PROGRESS_EXPORTED = "data.progress_exported", "导出学习进度"
    FORM_RESULTS_EXPORTED = "data.form_results_exported", "导出问卷结果"
    PEOPLE_IMPORTED = "data.people_imported", "批量导入人员"
    AUDIT_EXPORTED = "data.audit_exported", "导出审计日志"
    ASSESSMENT_EXPORTED = "data.assessment_exported", "导出测评统计"
    QUESTIONS_IMPORTED = "data.questions_imported", "导入题库"
    QUESTIONS_EXPORTED = "data.questions_exported", "导出题库"
    MEMBER_CREATED = "member.created", "新建党员档案"
    MEMBER_CHANGED = "member.changed", "修改党员档案"
    MEMBER_DELETED = "member.deleted", "删除党员档案"
    MEMBER_UNIT_CHANGED = "member.unit_changed", "调整所在组织"
    CONSULTATION_ANSWERED = "consultation.answered", "答复咨询或建议"
    CONSULTATION_CLOSED = "consultation.closed", "关闭咨询或建议"
    CONSULTATION_FAQ_DRAFTED = "consultation.faq_drafted", "咨询转为常见问题草稿"
    NOTICE_SENT = "notice.sent", "发送通知"
    NOTICE_REMINDED = "notice.reminded", "提醒未完成通知的人员"
    NOTICE_RECEIPTS_EXPORTED = "data.notice_receipts_exported", "导出通知回执"
    CHANNEL_CREATED = "channel.created", "新建推送渠道"
    CHANNEL_CHANGED = "channel.changed", "修改推送渠道"
    CHANNEL_ENABLED = "channel.enabled", "启用推送渠道"
    CHANNEL_DISABLED = "channel.disabled", "停用推送渠道"
    CHANNEL_DELETED = "channel.deleted", "删除推送渠道"
    CHANNEL_TESTED = "channel.tested", "发送推送渠道测试消息"
    PRUNED = "audit.pruned", "清理过期审计日志"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能修改。")

    def delete(self):
        raise AppendOnlyError("审计日志只能追加，不能删除。")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("审计日志只能追加，不能修改。")

    def bulk_create(self, objs, *args, **kwargs):
        # Entries must go through services.record (chain position and hash under the lock).
        raise AppendOnlyError("审计日志只能通过 services.record 追加。")


class AuditEntry(models.Model):
    seq = models.BigIntegerField("序号", primary_key=True)
    created_at = models.DateTimeField("时间", db_index=True)
    # Who: kept as plain values (no foreign key), so an entry outlives the account and
    # deleting a user never has to touch (update) the log.
    actor_id = models.BigIntegerField("操作人 ID", null=True, blank=True, db_index=True)
    actor_username = models.CharField("操作人", max_length=150, blank=True, db_index=True)
    action = models.CharField("操作", max_length=40, choices=Action.choices, db_index=True)
    label = models.CharField("操作名称", max_length=50)
    details = models.JSONField("详情", default=dict, blank=True)
    object_type = models.CharField("对象类型", max_length=50, blank=True)
    object_id = models.CharField("对象 ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    # Text, normalised by ``services`` (Python's ipaddress), not GenericIPAddressField: the
    # database must give back exactly the string that was hashed.
    ip_address = models.CharField("IP 地址", max_length=45, blank=True, db_index=True)
    user_agent = models.CharField("浏览器", max_length=200, blank=True)
    prev_hash = models.CharField("上一条哈希", max_length=64)
    entry_hash = models.CharField("哈希", max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-seq"]
        default_permissions = ()  # nobody is granted add/change/delete; 管理员 read it

    def __str__(self):
        return f"{self.seq} {self.label}"

    @property
    def details_text(self) -> str:
        """The details as a 管理员 reads them (``键：值；…`` with Chinese names for the keys
        this app writes); the export keeps the JSON."""
        return "；".join(
            f"{DETAIL_LABELS.get(key, key)}：{_detail_value(key, value)}"
            for key, value in sorted((self.details or {}).items())
        )

    # -- the chain -------------------------------------------------------------------------
    HASHED_FIELDS = (
        "seq",
        "created_at",
        "actor_id",
        "actor_username",
        "action",
        "label",
        "details",
        "object_type",
        "object_id",
        "object_repr",
        "ip_address",
        "user_agent",
        "prev_hash",
    )

    def canonical(self) -> bytes:
        """The bytes the hash covers: the fields as sorted, compact JSON; the time as UTC
        ISO 8601 with microseconds (what both SQLite and PostgreSQL give back)."""
        values = {name: getattr(self, name) for name in self.HASHED_FIELDS}
        values["created_at"] = self.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
        return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    # -- append-only -------------------------------------------------------------------------
    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("审计日志只能追加，不能修改。")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能删除。")


class ChainHead(models.Model):
    """The one row (pk=1) every append locks: the last entry's position and hash, and where
    the kept chain starts after pruning (``anchor_*``: the last removed entry)."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    anchor_seq = models.BigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = "审计日志链头"
        verbose_name_plural = "审计日志链头"
        default_permissions = ()
