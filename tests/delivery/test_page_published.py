"""网站发布: a page going live through the real publishing pipeline reaches the robots of
its branch and of the committee, once, after the build — never on a later edit, an
unpublish or a rebuild; a failure to announce never fails the build."""

from __future__ import annotations

import logging

import pytest

from cms.delivery import sending
from cms.delivery.models import Delivery
from cms.publishing.models import SiteBuild
from tests.factories import NewsPageFactory, SectionPageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def section(org, home):
    return SectionPageFactory(parent=home, title="第一党支部", slug="branch-1", organisation=org.first)


def run_publish(publish, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return publish()


def test_a_new_page_reaches_its_branch_and_the_committee(
    org, section, channel, webhook_server, publish, django_capture_on_commit_callbacks
):
    branch = channel(webhook_server.address("/ok"), name="一支部群", unit=org.first)
    whole = channel(webhook_server.address("/ok"), name="党委群")
    channel(webhook_server.address("/ok"), name="二支部群", unit=org.second)
    channel(webhook_server.address("/ok"), name="只收通知", unit=org.first, topics=["notice"])
    run_publish(publish, django_capture_on_commit_callbacks)
    Delivery.objects.all().delete()  # the section itself is not news (and is not announced)

    page = NewsPageFactory(parent=section, title="一支部开展主题党日", slug="theme-day", summary="活动摘要")
    run_publish(publish, django_capture_on_commit_callbacks)

    rows = Delivery.objects.order_by("channel__name")
    assert {d.channel for d in rows} == {branch, whole}
    assert {d.event for d in rows} == {"page_published"}
    sending.deliver_due()
    bodies = webhook_server.received
    assert len(bodies) == 2
    assert {b["title"] for b in bodies} == {page.title}
    assert bodies[0]["text"] == "活动摘要"
    assert bodies[0]["url"] == "https://dangjian.example.cn/branch-1/theme-day/"
    assert any(fact.startswith("发布日期：") for fact in bodies[0]["facts"])

    # An edit published again is a correction: no second announcement.
    page.title = "一支部开展主题党日（更正）"
    page.save_revision().publish()
    run_publish(publish, django_capture_on_commit_callbacks)
    assert Delivery.objects.count() == 2
    # Nor an unpublish.
    page.unpublish()
    run_publish(publish, django_capture_on_commit_callbacks)
    assert Delivery.objects.count() == 2


def test_nothing_is_announced_while_the_build_fails(
    org, section, channel, webhook_server, publish, site_paths, settings
):
    channel(webhook_server.address("/ok"))
    settings.SITE_SOURCE_DIR = site_paths["SITE_RELEASES_DIR"] / "no-such-site-dir"
    NewsPageFactory(parent=section, title="构建失败时", slug="broken")
    build = publish(expect_success=False)
    assert build.status == SiteBuild.Status.FAILED
    assert Delivery.objects.count() == 0


def test_a_failing_announcement_never_fails_the_build(
    org, section, channel, webhook_server, publish, django_capture_on_commit_callbacks, caplog
):
    broken = channel(webhook_server.address("/ok"))
    type(broken).objects.filter(pk=broken.pk).update(topics=5)  # a corrupt row: fan-out raises
    NewsPageFactory(parent=section, title="照常上线", slug="still-live")
    with caplog.at_level(logging.ERROR, logger="cms.publishing.services"):
        build = run_publish(publish, django_capture_on_commit_callbacks)
    assert build.status == SiteBuild.Status.SUCCEEDED
    assert "listener of released changes failed" in caplog.text
    assert Delivery.objects.count() == 0


def test_the_news_card_shows_the_cover_the_public_site_serves(
    org, section, channel, wecom_server, publish, site_paths, django_capture_on_commit_callbacks
):
    from tests.factories import ImageFactory

    cover = ImageFactory(title="主题党日合影")
    channel(wecom_server.address(), kind="wecom", unit=org.first)
    run_publish(publish, django_capture_on_commit_callbacks)
    Delivery.objects.all().delete()
    NewsPageFactory(
        parent=section, title="一支部开展主题党日", slug="with-cover", summary="合影留念", cover_image=cover
    )
    run_publish(publish, django_capture_on_commit_callbacks)
    sending.deliver_due()

    [message] = wecom_server.received
    assert message["msgtype"] == "news"
    [article] = message["news"]["articles"]
    assert article["url"] == "https://dangjian.example.cn/branch-1/with-cover/"
    picture = article["picurl"]
    assert picture.startswith(f"https://dangjian.example.cn/assets/images/{cover.pk}-")
    # The address is a file of the release that went live, not a guess.
    live = site_paths["SITE_RELEASES_DIR"] / "current"
    assert (live / picture.removeprefix("https://dangjian.example.cn/")).is_file()
