import httpx
import pytest

from .robot_servers import DingTalkServer, FeishuServer, WeComServer, WebhookServer


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
