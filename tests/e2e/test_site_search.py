"""Browser test: the site search (search/ index + dj-search.js) on a built release.

Nothing search-related is fetched on page load; typing 三会一课 shows that page first, on a
desktop and at 375 px (WeChat's in-app browser); the bytes the first query downloads are
recorded (bench/search_payload.py measures them on 1,000 and 10,000 pages)."""

import functools
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "tests" / "build_scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from content_samples import write_sample_content  # noqa: E402

from build_scripts.site_build import build_release  # noqa: E402

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800322c) NetType/WIFI Language/zh_CN"
)
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"},
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "locale": "zh-CN",
        "user_agent": WECHAT_UA,
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}
SCREENSHOTS = ROOT / "var" / "screenshots"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def served_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e-site")
    content = write_sample_content(root / "content")
    release = build_release(content, root / "releases")
    handler = functools.partial(_QuietHandler, directory=str(root / "releases" / "current"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", release
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    import playwright.sync_api as playwright_api

    if not Path(CHROMIUM).exists():
        # As in conftest.py: a skipped browser test would let CI pass without the search checked.
        pytest.fail("需要 Debian 的 chromium（/usr/bin/chromium）：请先运行 make browser。")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"])
        yield browser
        browser.close()


def _is_search(url: str) -> bool:
    return "/search/" in url or "dj-search" in url or "search_index" in url or "workers/search" in url


def _open_search(page, kind):
    if kind == "phone":
        page.click("label.md-header__button[for=__search]")  # the phone header's search icon
    box = page.locator("input.md-search__input")
    box.click()
    return box


@pytest.mark.parametrize("kind", list(VIEWPORTS))
def test_search_for_sanhui_yike_finds_its_page(served_site, browser, kind, record_property):
    base, _release = served_site
    context = browser.new_context(**VIEWPORTS[kind])
    page = context.new_page()
    requests, outside, errors = [], [], []
    page.on("requestfinished", lambda r: requests.append(r))
    page.on("request", lambda r: r.url.startswith((base, "data:")) or outside.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/news/", wait_until="networkidle")
    page.wait_for_timeout(300)
    on_load = [r.url for r in requests]
    assert not [u for u in on_load if _is_search(u)], on_load

    box = _open_search(page, kind)
    box.press_sequentially("三会一课", delay=30)
    result = page.locator(".md-search-result__item").first
    result.wait_for(state="visible", timeout=15000)
    page.wait_for_load_state("networkidle")
    assert "第一党支部2026年第四季度三会一课安排" in result.inner_text()
    assert "找到 1 个相关结果" in page.locator("#dj-search-status").inner_text()
    assert page.locator("#dj-search-status").get_attribute("aria-live") == "polite"
    searched = requests[len(on_load) :]
    payload = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in searched)
    record_property("first_query_bytes", payload)
    print(f"\n{kind}: first query fetched {len(searched)} files, {payload} bytes")
    assert all(_is_search(r.url) for r in searched), [r.url for r in searched]
    assert payload < 300 * 1024
    if kind == "phone":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "search-375.png"))

    result.locator("a").first.click()
    page.wait_for_url("**/openness/sanhui-yike-2026q4/**")
    assert page.locator("h1").first.inner_text() == "第一党支部2026年第四季度三会一课安排"
    assert outside == [] and errors == []
    context.close()


@pytest.mark.parametrize(
    "text, title", [("党费", "关于2026年度党费收缴情况的公示"), ("主题党日", "机关党总支开展“不忘初心”主题党日活动")]
)
def test_party_terms_rank_their_page_first(served_site, browser, text, title):
    base, _release = served_site
    context = browser.new_context(**VIEWPORTS["phone"])
    page = context.new_page()
    page.goto(base + "/", wait_until="networkidle")
    box = _open_search(page, "phone")
    box.fill(text)  # one input event, as a paste from WeChat gives
    first = page.locator(".md-search-result__item h1").first
    first.wait_for(state="visible", timeout=15000)
    assert first.inner_text() == title
    context.close()


def test_no_results_message_and_keyboard(served_site, browser):
    base, _release = served_site
    context = browser.new_context(**VIEWPORTS["desktop"])
    page = context.new_page()
    page.goto(base + "/", wait_until="networkidle")
    box = _open_search(page, "desktop")
    box.press_sequentially("麒麟貔貅", delay=20)
    status = page.locator("#dj-search-status")
    # Search runs as the person types: "麒" alone finds nothing either, so wait for the whole
    # word's answer, not the first one that says 没有找到.
    status.filter(has_text="“麒麟貔貅”").wait_for(timeout=15000)
    assert status.inner_text() == "没有找到与“麒麟貔貅”相关的内容"
    box.fill("党费")
    page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=15000)
    box.press("ArrowDown")
    assert "md-search-result__link" in page.evaluate("document.activeElement.className")
    page.keyboard.press("Escape")
    assert page.evaluate("document.getElementById('__search').checked") is False
    box.click()
    box.press("Enter")
    page.wait_for_url("**/openness/dues-2026/**")
    context.close()
