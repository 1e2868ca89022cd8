"""推送渠道 and 推送记录 in the admin: the address is shown masked and the secret never at
all (pages, log records, the delivery log); an empty field keeps what is stored; 清除密钥
removes the secret; 发送测试消息 shows the platform's answer; hostile titles are text."""

from __future__ import annotations

import logging

import pytest
from bs4 import BeautifulSoup

from cms.delivery import sending, services
from cms.delivery.models import Channel, Delivery
from tests.hostile import PAYLOADS, marker, storable
from tests.study.conftest import administrator, client_for

from .conftest import DRILL, SECRET, TOKEN, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(home):
    return administrator(username="admin1")


def test_create_edit_and_the_secret_is_write_only(admin, webhook_server, caplog):
    client = client_for(admin)
    with caplog.at_level(logging.DEBUG):
        response = client.post("/admin/delivery/channels/add/", form_data(webhook_server))
        assert response.status_code == 302, response.content.decode()[:2000]
        channel = Channel.objects.get()
        assert (channel.secret, channel.address) == (SECRET, webhook_server.address(f"/ok?token={TOKEN}"))

        pages = [
            client.get("/admin/delivery/channels/"),
            client.get(f"/admin/delivery/channels/{channel.pk}/"),
            client.get("/admin/delivery/log/"),
        ]
        # Edit with both fields empty: both are kept.
        response = client.post(
            f"/admin/delivery/channels/{channel.pk}/", form_data(webhook_server, address="", secret="", name="改名")
        )
        assert response.status_code == 302
        channel.refresh_from_db()
        assert (channel.name, channel.secret, channel.address) == (
            "改名",
            SECRET,
            webhook_server.address(f"/ok?token={TOKEN}"),
        )
        # A refused edit re-renders the form: still no secret in it.
        pages.append(
            client.post(f"/admin/delivery/channels/{channel.pk}/", form_data(webhook_server, name="", secret=""))
        )
        assert pages[-1].status_code == 400
        # 发送测试消息, then a delivery that fails with the token echoed by the platform.
        pages.append(client.post(f"/admin/delivery/channels/{channel.pk}/test/", follow=True))
        Channel.objects.filter(pk=channel.pk).update(address=webhook_server.address(f"/refuse?token={TOKEN}"))
        services.announce(DRILL, {"title": "通知", "units": []})
        sending.deliver_due()
        pages += [client.get("/admin/delivery/channels/"), client.get("/admin/delivery/log/")]

    for index, page in enumerate(pages):
        html = page.content.decode()
        for found in (SECRET, TOKEN):
            at = html.find(found)
            assert at < 0, (index, html[max(0, at - 300) : at + 50])
    list_html = pages[0].content.decode()
    assert f"127.0.0.1…{TOKEN[-4:]}" in list_html  # masked: host and the last four characters
    assert SECRET not in caplog.text and TOKEN not in caplog.text
    assert all(SECRET not in d.last_error and TOKEN not in d.last_error for d in Delivery.objects.all())
    channel.refresh_from_db()
    assert SECRET not in channel.stopped_reason and TOKEN not in channel.stopped_reason
    assert "测试消息已发送，平台应答：HTTP 200" in pages[4].content.decode()
    assert webhook_server.received[0]["title"] == "测试消息"


def test_clear_secret_and_a_new_secret(admin, webhook_server, channel):
    hook = channel(webhook_server.address("/ok"), secret="old-secret-value")
    client = client_for(admin)
    client.post(
        f"/admin/delivery/channels/{hook.pk}/", form_data(webhook_server, address="", secret="new-secret-value")
    )
    hook.refresh_from_db()
    assert hook.secret == "new-secret-value"
    client.post(
        f"/admin/delivery/channels/{hook.pk}/", form_data(webhook_server, address="", secret="", clear_secret="on")
    )
    hook.refresh_from_db()
    assert hook.secret == ""


def test_addresses_must_be_https_except_allowed_hosts(admin, webhook_server, settings):
    settings.DELIVERY_ALLOWED_HTTP_HOSTS = []
    response = client_for(admin).post("/admin/delivery/channels/add/", form_data(webhook_server))
    assert response.status_code == 400
    assert "https" in response.content.decode()
    assert not Channel.objects.exists()


def test_the_test_button_shows_a_refusal(admin, webhook_server, channel):
    hook = channel(webhook_server.address("/refuse"))
    response = client_for(admin).post(f"/admin/delivery/channels/{hook.pk}/test/", follow=True)
    assert "测试消息发送失败，平台应答：HTTP 403" in response.content.decode()


def test_a_stopped_channel_shows_why_in_the_list(admin, webhook_server, channel):
    channel(webhook_server.address("/refuse"), name="被移除的机器人")
    services.announce(DRILL, {"title": "通知", "units": []})
    sending.deliver_due()
    html = client_for(admin).get("/admin/delivery/channels/").content.decode()
    assert "已自动停用：HTTP 403" in html


HTML_PAYLOADS = [storable(p) for p in PAYLOADS if "<" in p]


def test_hostile_titles_are_text_in_the_log(admin, webhook_server, channel):
    channel(webhook_server.address("/ok"))
    for payload in HTML_PAYLOADS:
        services.announce(DRILL, {"title": payload, "units": []})
    html = client_for(admin).get("/admin/delivery/log/?p=1").content.decode()
    for payload in HTML_PAYLOADS[:50]:
        assert payload[:300] not in html, marker(payload)
    soup = BeautifulSoup(html, "html.parser")
    titles = {td.get_text() for td in soup.select("td.dj-card-title")}
    assert titles <= {p[:300] for p in HTML_PAYLOADS}
    assert len(titles) == min(50, len(HTML_PAYLOADS))


def test_log_filters(admin, webhook_server, channel, org):
    ok = channel(webhook_server.address("/ok"), name="好的", unit=org.first)
    channel(webhook_server.address("/refuse"), name="坏的", unit=org.first)
    services.announce(DRILL, {"title": "甲通知", "units": [org.first]})
    sending.deliver_due()
    client = client_for(admin)

    def titles(query):
        html = client.get("/admin/delivery/log/?" + query).content.decode()
        return [td.get_text() for td in BeautifulSoup(html, "html.parser").select("td.dj-card-title:not([colspan])")]

    assert titles(f"channel={ok.pk}") == ["甲通知"]
    assert titles("status=failed") == ["甲通知"]
    assert titles("status=queued") == []
    assert titles("event=drill") == ["甲通知", "甲通知"]
    assert titles("event=page_published") == []
    assert titles("date_from=2000-01-01&date_to=2000-01-02") == []


def test_delete_keeps_the_log_and_drops_what_waits(admin, webhook_server, channel):
    hook = channel(webhook_server.address("/ok"), name="旧群")
    services.announce(DRILL, {"title": "已发出", "units": []})
    sending.deliver_due()
    services.announce(DRILL, {"title": "还在排队", "units": []})
    client = client_for(admin)
    assert "确定删除推送渠道「旧群」" in client.get(f"/admin/delivery/channels/{hook.pk}/delete/").content.decode()

    response = client.post(f"/admin/delivery/channels/{hook.pk}/delete/")

    assert response.status_code == 302 and not Channel.objects.exists()
    statuses = dict(Delivery.objects.values_list("title", "status"))
    assert statuses == {"已发出": Delivery.Status.SENT, "还在排队": Delivery.Status.DROPPED}
    assert "（渠道已删除）" in client.get("/admin/delivery/log/").content.decode()
    sending.deliver_due()
    assert len(webhook_server.received) == 1
