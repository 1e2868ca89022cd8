"""Fixtures of the delivery tests: the platforms' local robot servers and the generic
webhook's receiver (robot_servers.py), a local SMTP server (aiosmtpd), the organisation and
channels."""

from __future__ import annotations

import time
from types import SimpleNamespace

import httpx
import pytest

from cms.accounts.models import OrganisationUnit
from cms.delivery.models import Channel
from tests.factories import OrganisationUnitFactory

from .robot_servers import DingTalkServer, FeishuServer, WeComServer, WebhookServer, free_port


@pytest.fixture(autouse=True)
def local_servers(settings):
    """Settings for robots on 127.0.0.1 with short timeouts."""
    settings.DELIVERY_ALLOWED_HTTP_HOSTS = ["127.0.0.1"]
    settings.DELIVERY_TIMEOUT_SECONDS = 2.0
    settings.DELIVERY_CONNECT_TIMEOUT_SECONDS = 1.0
    settings.PUBLIC_SITE_URL = "https://dangjian.example.cn/"


@pytest.fixture
def platforms():
    """The push platforms package: tests give the generic webhook a robot's rate limits."""
    from cms.delivery import platforms as package

    return package


@pytest.fixture
def http():
    """An HTTP client for ``send`` (named so as not to hide pytest-django's ``client``)."""
    with httpx.Client() as client:
        yield client


@pytest.fixture
def wecom_server():
    with WeComServer() as server:
        yield server


@pytest.fixture
def dingtalk_server():
    with DingTalkServer() as server:
        yield server


@pytest.fixture
def feishu_server():
    with FeishuServer() as server:
        yield server


@pytest.fixture
def webhook_server():
    with WebhookServer() as server:
        yield server


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(
                SimpleNamespace(to=list(envelope.rcpt_tos), data=envelope.content.decode(), at=time.monotonic())
            )
            return "250 OK"

    handler = Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()


@pytest.fixture
def org(home):
    committee = OrganisationUnitFactory(name="机关党委", kind=OrganisationUnit.Kind.COMMITTEE)
    first = OrganisationUnitFactory(name="第一党支部", parent=committee, sort_order=1)
    second = OrganisationUnitFactory(name="第二党支部", parent=committee, sort_order=2)
    return SimpleNamespace(committee=committee, first=first, second=second)


@pytest.fixture
def channel():
    def make(address, *, name=None, unit=None, kind="webhook", secret="", **fields):
        return Channel.objects.create(
            name=name or f"渠道{Channel.objects.count() + 1}",
            unit=unit,
            kind=kind,
            address=address,
            secret=secret,
            **fields,
        )

    return make


SECRET = "SECmarker7f3a9c2e5d1b"  # a marker: must never be seen again once saved
TOKEN = "TOKmarker0c4e8a6b2d9f1e3a"  # the robot's token inside the address


def form_data(server, **overrides):
    """The admin's channel form as posted: a webhook on ``server`` with ``TOKEN`` in its
    address and ``SECRET``; an override of None leaves the field out (an unticked box)."""
    data = {
        "name": "一支部群",
        "unit": "",
        "kind": "webhook",
        "address": server.address(f"/ok?token={TOKEN}"),
        "secret": SECRET,
        "topics": ["publish", "notice"],
        "enabled": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


DRILL = "drill"


@pytest.fixture(autouse=True)
def drill_event():
    """A test event registered like any app's: ``obj`` is a dict with title, units and
    recipients."""
    from cms.delivery import events
    from cms.delivery.models import Topic
    from cms.delivery.transport import make_message

    events.register(
        events.Event(
            key=DRILL,
            label="演练通知",
            topic=Topic.NOTICE,
            message=lambda obj: make_message(
                title=obj["title"], text=obj.get("text", ""), url="https://dangjian.example.cn/member/", event=DRILL
            ),
            units=lambda obj: obj.get("units", ()),
            recipients=lambda obj: obj.get("recipients", ()),
            email_preference="notices",
        )
    )
    return DRILL
