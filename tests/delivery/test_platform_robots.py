"""The delivery task against the platforms' own local servers (tests/delivery/
robot_servers.py: signatures checked, rate limits enforced with the platforms' error codes).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cms.delivery import sending, services
from cms.delivery.models import Delivery

from . import robot_servers
from .conftest import DRILL

pytestmark = pytest.mark.django_db
S = Delivery.Status


@pytest.fixture
def servers():
    started = {
        "wecom": robot_servers.WeComServer().start(),
        "dingtalk": robot_servers.DingTalkServer().start(),
        "feishu": robot_servers.FeishuServer().start(),
    }
    yield started
    for server in started.values():
        server.stop()


def test_wecom_twenty_one_in_a_minute(org, channel, servers):
    """20 reach the group; the 21st waits for the window instead of meeting errcode 45009."""
    wecom = servers["wecom"]
    channel(wecom.address(), kind="wecom", unit=org.first)
    for n in range(21):
        services.announce(DRILL, {"title": f"通知{n:02d}", "units": [org.first]})
    scheduled = []

    sending.deliver_due(schedule=scheduled.append)

    assert len(wecom.received) == 20
    assert all(r.answer == {"errcode": 0, "errmsg": "ok"} for r in wecom.requests)  # never throttled
    waiting = Delivery.objects.exclude(status=S.SENT).get()
    assert waiting.title == "通知20" and waiting.status == S.QUEUED
    assert waiting.next_attempt_at > timezone.now() + dt.timedelta(seconds=55)
    assert scheduled == [waiting.next_attempt_at]


def test_dingtalk_signed_and_a_wrong_secret_stops_the_channel(org, channel, servers):
    ding = servers["dingtalk"]
    ding.secret = "SECd1n9t4lk0000marker"
    good = channel(ding.address(), kind="dingtalk", secret=ding.secret, unit=org.first)
    services.announce(DRILL, {"title": "签名正确", "units": [org.first]})
    sending.deliver_due()
    assert len(ding.received) == 1
    good.refresh_from_db()
    assert good.last_success_at is not None

    good.secret = "SECwrong"
    good.save()
    services.announce(DRILL, {"title": "签名错误", "units": [org.first]})
    sending.deliver_due()
    good.refresh_from_db()
    assert "310000" in good.stopped_reason and "SECwrong" not in good.stopped_reason
    assert Delivery.objects.get(title="签名错误").status == S.FAILED


def test_feishu_five_a_second_all_sent_in_one_run(org, channel, servers):
    feishu = servers["feishu"]
    feishu.secret = "SECfe1shu0000marker"
    channel(feishu.address(), kind="feishu", secret=feishu.secret, unit=org.first)
    for n in range(8):
        services.announce(DRILL, {"title": f"飞书{n}", "units": [org.first]})

    sending.deliver_due(schedule=pytest.fail)

    assert len(feishu.received) == 8
    assert all(r.answer["code"] == 0 for r in feishu.requests)  # never 11232 (frequency limited)


def test_a_dead_feishu_does_not_delay_wecom(org, channel, servers, settings):
    settings.DELIVERY_TIMEOUT_SECONDS = 3.0
    feishu, wecom = servers["feishu"], servers["wecom"]
    feishu.failure, feishu.sleep_seconds = "sleep", 6.0
    channel(feishu.address(), kind="feishu", unit=org.first)
    channel(wecom.address(), kind="wecom", unit=org.first)
    services.announce(DRILL, {"title": "同时发送", "units": [org.first]})
    sending.deliver_due()
    assert len(wecom.received) == 1
    assert Delivery.objects.get(channel__kind="feishu").status == S.RETRYING
