"""Shared pieces of the browser tests: one Debian chromium per session, the WeChat phone
profile members open links with, and a recorder of requests to hosts other than ours."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]

# The same in-app browser /work/shared/tools/page_check.py pretends to be.
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800322c) NetType/WIFI Language/zh_CN"
)
WECHAT_PHONE = {
    "viewport": {"width": 375, "height": 812},
    "user_agent": WECHAT_UA,
    "locale": "zh-CN",
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

#: How long a browser test waits for what a person would see.
TIMEOUT_MS = 15_000
#: Pixels the page is wider than the screen (> 0: the reader has to scroll sideways).
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def assert_fits(page) -> None:
    """Nothing wider than the screen: no sideways scrolling at 375 px."""
    assert page.evaluate(OVERFLOW) <= 0, page.url


def phone(new_context, outside_requests, base: str):
    """A WeChat phone context whose requests to other hosts are recorded, and its page."""
    context = new_context(**WECHAT_PHONE)
    outside = outside_requests(base).watch(context)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return context, page, outside


@pytest.fixture
def public_home(transactional_db, site_paths):
    """The public home page with roles set up, for browser tests: the seeded one, or seeded
    again after an earlier transactional test's flush (tests/conftest.py)."""
    from cms.openness.models import HomePage
    from tests.conftest import _seed_home_and_roles

    return HomePage.objects.first() or _seed_home_and_roles()


@pytest.fixture
def browser():
    """Per test, on purpose. Playwright's sync API keeps an asyncio loop running in the test
    thread while it is open, and with a running loop Django's `connections` hands out a
    different connection object (asgiref.Local switches storage). Being a function fixture,
    it starts after the database is set up and stops before it is flushed."""
    import playwright.sync_api as playwright_api

    if not Path(CHROMIUM).exists():
        # A skipped browser test would let CI pass without the browser flows being checked.
        pytest.fail("需要 Debian 的 chromium（/usr/bin/chromium）：请先运行 make browser。")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Close the connections the test opened while Playwright's loop ran: they live in that
        # loop's context, unreachable afterwards, and on PostgreSQL an open one keeps the test
        # database from being dropped at the end of the run.
        from django.db import connections

        connections.close_all()


@pytest.fixture
def new_context(browser):
    """`new_context(**options)` → a browser context that is closed after the test, pass or fail."""
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


class OutsideRequests(list):
    """Every request a browser context makes to a host other than `base` (data:/blob: are local)."""

    def __init__(self, base: str):
        super().__init__()
        own = urlsplit(base)
        self.own = (own.scheme, own.netloc)
        self.seen = 0

    def record(self, request) -> None:
        self.seen += 1
        url = urlsplit(request.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if (url.scheme, url.netloc) != self.own:
            self.append(request.url)

    def watch(self, context):
        context.on("request", self.record)
        return self


@pytest.fixture
def outside_requests():
    """`outside_requests(base).watch(context)` → a list that collects requests leaving `base`."""
    return OutsideRequests
