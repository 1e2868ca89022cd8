import pytest
from django.conf import settings

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def world(transactional_db, site_paths):
    from wagtail.models import Collection, Locale, Page
    from cms.accounts.roles import EDITOR, REVIEWER, setup_roles
    from cms.openness.services import ensure_home_page
    from tests.factories import SectionPageFactory, UserFactory
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if not Page.objects.filter(depth=1).exists():
        Page.add_root(instance=Page(title="Root", slug="root", content_type=None))
    if not Collection.objects.filter(depth=1).exists():
        Collection.add_root(name="Root")
    home = ensure_home_page()
    setup_roles()
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    editor = UserFactory(username="editor", last_name="王", first_name="编辑", groups=[EDITOR])
    reviewer = UserFactory(username="reviewer", last_name="李", first_name="审核", groups=[REVIEWER])
    return news, editor, reviewer


def test_explore(world, live_server):
    from playwright.sync_api import sync_playwright
    news, *_ = world
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"])
        ctx = b.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = ctx.new_page()
        page.goto(live_server.url + "/admin/login/")
        page.fill("input[name=username]", "editor")
        page.fill("input[name=password]", "Test-pass-2026")
        page.click("button[type=submit]")
        page.wait_for_url("**/admin/")
        page.screenshot(path="/tmp/e2e/dash.png")
        page.goto(f"{live_server.url}/admin/pages/add/openness/newspage/{news.pk}/")
        page.screenshot(path="/tmp/e2e/add.png", full_page=True)
        open("/tmp/e2e/add.html", "w").write(page.content())
        page.fill("#id_title", "支部召开专题组织生活会")
        page.locator("#id_title").blur()
        print("slug after title:", repr(page.input_value("#id_slug")))
        page.click("button.c-sf-add-button")
        page.get_by_role("option", name="正文段落").click()
        ed = page.locator("[data-contentpath=body] .public-DraftEditor-content")
        ed.click()
        ed.press_sequentially("支部全体党员参加了会议。")
        page.get_by_role("tab", name="推荐").click()
        page.fill("#id_slug", "org-life-meeting")
        page.get_by_role("tab", name="内容").click()
        page.screenshot(path="/tmp/e2e/filled.png")
        page.click("footer .w-dropdown__toggle")
        page.click("button[name=action-submit]")
        page.wait_for_load_state()
        page.wait_for_timeout(1000)
        page.screenshot(path="/tmp/e2e/after_submit.png")
        print(page.url)
        rctx = b.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        r = rctx.new_page()
        r.goto(live_server.url + "/admin/login/")
        r.fill("input[name=username]", "reviewer")
        r.fill("input[name=password]", "Test-pass-2026")
        r.click("button[type=submit]")
        r.wait_for_url("**/admin/")
        r.screenshot(path="/tmp/e2e/rdash.png", full_page=True)
        open("/tmp/e2e/rdash.html", "w").write(r.content())
        r.locator("#awaiting-review-section").get_by_role("link", name="支部召开专题组织生活会").click()
        r.wait_for_url("**/edit/")
        r.screenshot(path="/tmp/e2e/redit.png")
        open("/tmp/e2e/redit.html", "w").write(r.content())
        r.click("footer .w-dropdown__toggle")
        r.screenshot(path="/tmp/e2e/redit_menu.png")
        b.close()
