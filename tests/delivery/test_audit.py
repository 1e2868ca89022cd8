"""推送渠道 in the audit log (cms/audit): who created, edited, stopped, tested or deleted a
channel, when, and what changed; the address's token and the signing secret never appear,
neither in the stored rows nor on the 审计日志 page; only 管理员 read the log."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from cms.accounts.models import BranchRole, MemberStatus
from cms.audit.models import Action, AuditEntry
from cms.delivery.models import Channel
from cms.delivery.roles import CHANNEL_MANAGER
from tests.access import assert_refused_in_admin, assert_sent_to_admin_log_in
from tests.factories import UserFactory
from tests.html import table_rows
from tests.study.conftest import administrator, client_for, member

from .conftest import SECRET, TOKEN, form_data

pytestmark = pytest.mark.django_db

NEW_SECRET = "SECmarker2b8d4f6a0c9e"
NEW_TOKEN = "TOKmarker5e1a7c3b9d2f4e6a"
CREDENTIALS = (SECRET, NEW_SECRET, TOKEN, NEW_TOKEN)
AUDIT = "/admin/audit/"


def channel_entries():
    return list(AuditEntry.objects.filter(object_type="channel").order_by("seq"))


def assert_no_credentials(text: str) -> None:
    for credential in CREDENTIALS:
        at = text.find(credential)
        assert at < 0, text[max(0, at - 200) : at + 50]


def stored_rows() -> str:
    """Every field of every audit row, as one text."""
    return json.dumps(list(AuditEntry.objects.values()), default=str, ensure_ascii=False)


def test_an_administrators_channel_work_is_in_the_audit_log(home, org, webhook_server):
    admin = administrator(username="admin1")
    client = client_for(admin)
    started = timezone.now()

    client.post("/admin/delivery/channels/add/", form_data(webhook_server))
    channel = Channel.objects.get()
    edit = f"/admin/delivery/channels/{channel.pk}/"
    new_address = webhook_server.address(f"/ok?token={NEW_TOKEN}")
    client.post(edit, form_data(webhook_server, name="改名", address=new_address, secret=NEW_SECRET, topics=["notice"]))
    client.post(edit, form_data(webhook_server, name="改名", address="", secret="", topics=["notice"], enabled=None))
    client.post(
        edit,
        form_data(
            webhook_server, name="改名", address="", secret="", topics=["notice"], unit=org.first.pk, clear_secret="on"
        ),
    )
    client.post(f"{edit}test/")
    client.post(f"{edit}delete/")
    assert not Channel.objects.exists()

    entries = channel_entries()
    assert [e.action for e in entries] == [
        Action.CHANNEL_CREATED,
        Action.CHANNEL_CHANGED,
        Action.CHANNEL_DISABLED,
        Action.CHANNEL_ENABLED,
        Action.CHANNEL_TESTED,
        Action.CHANNEL_DELETED,
    ]
    assert {(e.actor_id, e.actor_username, e.object_id, e.ip_address) for e in entries} == {
        (admin.pk, "admin1", str(channel.pk), "127.0.0.1")
    }
    assert all(started <= e.created_at <= timezone.now() for e in entries)
    assert [e.object_repr for e in entries] == ["一支部群", "改名", "改名", "改名", "改名", "改名"]
    assert [e.details for e in entries] == [
        {
            "unit": "整个党委",
            "kind": "通用 Webhook",
            "topics": "网站发布、通知公告",
            "enabled": True,
            "signing_key": "已设置",
        },
        {
            "name": "一支部群 → 改名",
            "topics": "网站发布、通知公告 → 通知公告",
            "address": "已更换",
            "signing_key": "已更换",
        },
        {},
        {"unit": "整个党委 → 第一党支部", "signing_key": "已清除"},
        {"status": "成功", "answer": "HTTP 200"},
        {"unit": "第一党支部", "kind": "通用 Webhook", "dropped": 0},
    ]
    assert_no_credentials(stored_rows())

    # The 审计日志 page shows who, when and what, and no credential either.
    page = client.get(AUDIT, {"obj": "channel"})
    assert_no_credentials(page.content.decode())
    rows = [row[2:] for row in table_rows(page) if row[3] != "登录成功"]
    assert [row[1] for row in rows] == [
        "删除推送渠道",
        "发送推送渠道测试消息",
        "启用推送渠道",
        "停用推送渠道",
        "修改推送渠道",
        "新建推送渠道",
    ]
    assert {row[0] for row in rows} == {"admin1"}
    changed = rows[4]
    assert changed[2] == "改名"
    for shown in (
        "名称：一支部群 → 改名",
        "Webhook 地址：已更换",
        "签名密钥：已更换",
        "接收的消息：网站发布、通知公告 → 通知公告",
    ):
        assert shown in changed[4]
    assert "平台应答：HTTP 200" in rows[1][4]


def test_a_test_message_records_the_platforms_refusal_without_the_key(home, wecom_server, channel):
    """WeCom echoes an unknown key in its answer: the entry keeps the code, not the key."""
    admin = administrator(username="admin1")
    hook = channel(wecom_server.address(TOKEN), kind="wecom", name="企业微信群")

    client_for(admin).post(f"/admin/delivery/channels/{hook.pk}/test/")

    [entry] = channel_entries()
    assert entry.action == Action.CHANNEL_TESTED and entry.details["status"] == "失败"
    assert "93000" in entry.details["answer"]
    assert_no_credentials(stored_rows())
    assert_no_credentials(client_for(admin).get(AUDIT).content.decode())


def test_saving_a_channel_unchanged_records_nothing_unless_it_restarts_it(home, webhook_server, channel):
    admin = administrator(username="admin1")
    hook = channel(webhook_server.address("/ok"), name="一支部群", topics=["publish", "notice"])
    unchanged = form_data(webhook_server, address="", secret="")
    client = client_for(admin)

    client.post(f"/admin/delivery/channels/{hook.pk}/", unchanged)
    assert channel_entries() == []

    Channel.objects.filter(pk=hook.pk).update(stopped_reason="HTTP 403", stopped_at=timezone.now())
    client.post(f"/admin/delivery/channels/{hook.pk}/", unchanged)
    [entry] = channel_entries()
    assert (entry.action, entry.details) == (Action.CHANNEL_CHANGED, {"resumed": True})
    assert "恢复自动停用的渠道：是" in client.get(AUDIT).content.decode()


def test_only_administrators_read_the_channel_entries(home, org, webhook_server):
    manager = UserFactory(username="push", groups=[CHANNEL_MANAGER])
    client_for(manager).post("/admin/delivery/channels/add/", form_data(webhook_server))
    [entry] = channel_entries()
    assert (entry.action, entry.actor_username) == (Action.CHANNEL_CREATED, "push")

    url = f"{AUDIT}?action={Action.CHANNEL_CREATED.value}"
    assert_sent_to_admin_log_in(client_for(None).get(url), url)
    assert_sent_to_admin_log_in(client_for(member(org.first, username="m1")).get(url), url)
    assert_refused_in_admin(client_for(manager).get(url))
    secretary = member(org.first, MemberStatus.FULL, BranchRole.SECRETARY, username="sec1")
    assert_refused_in_admin(client_for(secretary).get(url))
    assert_refused_in_admin(client_for(manager).get(f"{AUDIT}export/?action={Action.CHANNEL_CREATED.value}"))

    page = client_for(administrator(username="admin1")).get(url)
    assert [row[2:5] for row in table_rows(page)] == [["push", "新建推送渠道", "一支部群"]]
