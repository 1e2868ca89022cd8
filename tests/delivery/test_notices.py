"""通知公告 through the channels: the office sends a notice requiring a reply to 第一党支部;
that branch's DingTalk robot receives one signed message (the committee's robot too, the
other branch's nothing) and a member who chose email gets one; the notice's text reaches
neither (reading it in the member area is what records 已读). A reminder goes out the same
way to those who have not replied."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from cms.accounts.models import MemberStatus
from cms.delivery import sending
from cms.delivery.models import EmailPreference
from cms.notifications import services as notices
from tests.study.conftest import administrator, member

from .robot_servers import DingTalkServer

pytestmark = pytest.mark.django_db
SECRET_TEXT = "正文标记-只在党员学习中阅读"


@pytest.fixture
def dingtalk():
    server = DingTalkServer().start()
    server.secret = "SECnotice0000marker"
    yield server
    server.stop()


def robot_text(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_a_notice_reaches_its_branchs_robot_and_the_members_who_chose_email(
    org, channel, dingtalk, smtp, django_capture_on_commit_callbacks
):
    first_robot = channel(dingtalk.address(), kind="dingtalk", secret=dingtalk.secret, unit=org.first)
    channel(dingtalk.address(), kind="dingtalk", secret="SECother", unit=org.second, enabled=False)
    reader = member(org.first, MemberStatus.FULL, username="reader", email="reader@example.cn")
    EmailPreference.objects.create(user=reader, notices=True)
    member(org.first, MemberStatus.FULL, username="quiet", email="quiet@example.cn")  # no email chosen
    office = administrator(username="office")
    notice = notices.save_draft(
        office,
        None,
        title="关于召开专题组织生活会的通知",
        body=SECRET_TEXT,
        kind="meeting",
        sender_unit=org.committee,
        audience_units=[org.first],
        audience_statuses=[],
        requires_confirmation=True,
        requires_reply=True,
        deadline=timezone.now() + dt.timedelta(days=3),
    )
    with django_capture_on_commit_callbacks(execute=True):
        notices.send(office, notice)

    assert sending.deliver_due() == {"sent": 2}

    assert len(dingtalk.received) == 1  # signature and timestamp checked by the server
    sent = robot_text(dingtalk.received[0])
    assert "关于召开专题组织生活会的通知" in sent and f"/member/notice/?id={notice.pk}" in sent
    assert SECRET_TEXT not in sent
    assert [m.to for m in smtp.messages] == [["reader@example.cn"]]
    assert SECRET_TEXT not in smtp.messages[0].data
    first_robot.refresh_from_db()
    assert first_robot.last_success_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        reminded = notices.remind(office, notice)
    assert reminded == 2
    assert sending.deliver_due() == {"sent": 2}
    assert len(dingtalk.received) == 2 and "关于召开专题组织生活会的通知" in robot_text(dingtalk.received[1])
    assert [m.to for m in smtp.messages] == [["reader@example.cn"], ["reader@example.cn"]]
