"""Browser test of the share block on a phone in WeChat's in-app browser: it fits the screen,
复制链接 puts the page's address on the clipboard, the QR code on the screen scans (zxing
reads the screenshot) to the same address, and nothing is requested from another host."""

import io

import pytest
import zxingcpp
from PIL import Image

from tests.e2e.conftest import WECHAT_PHONE, assert_fits
from tests.e2e.test_site_search import browser, served_site  # noqa: F401 (module fixtures; puts content_samples on the path)

from content_samples import SITE_URL  # noqa: E402  isort: skip

pytestmark = pytest.mark.e2e

ARTICLE = "openness/sanhui-yike-2026q4/"


def test_a_reader_copies_and_scans_the_address_of_an_article(served_site, browser, outside_requests):  # noqa: F811
    base, _release = served_site
    context = browser.new_context(**WECHAT_PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    outside = outside_requests(base).watch(context)
    page = context.new_page()
    page.goto(base + "/" + ARTICLE, wait_until="networkidle")

    block = page.locator(".dj-share")
    block.scroll_into_view_if_needed()
    assert_fits(page)
    page.get_by_role("button", name="复制链接").click()
    page.locator(".dj-share__status").filter(has_text="链接已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == SITE_URL + ARTICLE

    shot = Image.open(io.BytesIO(page.locator(".dj-share__qr").screenshot()))
    assert [code.text for code in zxingcpp.read_barcodes(shot)] == [SITE_URL + ARTICLE]
    weibo = page.get_by_role("link", name="分享到微博")
    assert weibo.get_attribute("href").startswith("https://service.weibo.com/share/share.php?url=")
    box = block.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert outside == []
    context.close()
