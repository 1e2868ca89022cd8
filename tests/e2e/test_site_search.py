"""Browser test: Chinese search on a built release finds the page about 三会一课."""

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

from build_scripts.site_build import build_release  # noqa: E402
from content_samples import write_sample_content  # noqa: E402

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"


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
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 375, "height": 812}],
                         ids=["desktop", "phone"])
def test_search_for_sanhui_yike_finds_its_page(served_site, browser, viewport):
    base, _release = served_site
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    outside = []
    page.on("request", lambda r: r.url.startswith(base) or r.url.startswith("data:") or outside.append(r.url))
    page.goto(base + "/news/", wait_until="networkidle")
    if viewport["width"] < 960:
        page.click("label.md-header__button[for=__search]")  # the phone header's search icon
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("三会一课", delay=30)
    result = page.locator(".md-search-result__item", has_text="第一党支部2026年第四季度三会一课安排")
    result.first.wait_for(state="visible", timeout=15000)
    result.first.locator("a").first.click()
    page.wait_for_url("**/openness/sanhui-yike-2026q4/**")
    assert page.locator("h1").first.inner_text() == "第一党支部2026年第四季度三会一课安排"
    assert outside == []
    context.close()
