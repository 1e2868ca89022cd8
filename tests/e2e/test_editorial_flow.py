"""Browser test of the editorial path as people walk it: an editor writes a 新闻动态 page in the
Chinese admin and submits it to 审核发布, a reviewer approves it with a comment, the worker
publishes, and a member on a phone in WeChat reads it on the public site. The admin must not
contact any host but ours on the way (no Gravatar, no CDN, no fonts)."""

import signal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from tests.e2e.conftest import TIMEOUT_MS, WECHAT_PHONE

pytestmark = pytest.mark.e2e

TITLE = "支部召开专题组织生活会"
SLUG = "org-life-meeting"
PARAGRAPH = "支部全体党员参加了会议，逐一开展批评与自我批评。"
REVIEW_COMMENT = "内容属实，同意发布。"
REVIEWER_VIEWPORTS = {"dashboard": {"width": 390, "height": 844}, "page editor": {"width": 1280, "height": 900}}


@pytest.fixture
def newsroom(public_home):
    """A site with a 新闻动态 section, an editor 王编辑 and a reviewer 李审核."""
    from cms.accounts.roles import EDITOR, REVIEWER
    from tests.factories import SectionPageFactory, UserFactory

    home = public_home
    return SimpleNamespace(
        section=SectionPageFactory(parent=home, title="新闻动态", slug="news"),
        editor=UserFactory(username="editor", last_name="王", first_name="编辑", groups=[EDITOR]),
        reviewer=UserFactory(username="reviewer", last_name="李", first_name="审核", groups=[REVIEWER]),
    )


def _log_in(context, base: str, username: str):
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base}/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")
    expect(page.locator("main")).to_be_visible()
    return page


def _screenshot(page, path, settle: str) -> None:
    """Once `settle` has finished fading or sliding in, so the picture shows what a person sees."""
    page.wait_for_function(
        "s => [...document.querySelectorAll(s)].every(el => el.getAnimations({subtree: true})"
        ".every(a => a.playState !== 'running'))",
        arg=settle,
    )
    page.screenshot(path=str(path))


def _run_worker() -> str:
    """What `make run` keeps running, once, in this process (same settings and tmp paths)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    out = StringIO()
    try:
        call_command("worker", once=True, stdout=out)
    finally:
        for sig, handler in handlers.items():  # the worker installs its own; give pytest's back
            signal.signal(sig, handler)
    return out.getvalue()


@pytest.mark.parametrize("approve_in", ["dashboard", "page editor"])
def test_editor_submits_reviewer_approves_member_reads(
    newsroom, live_server, new_context, outside_requests, tmp_path, approve_in
):
    from playwright.sync_api import expect
    from wagtail.models import TaskState

    from cms.openness.models import NewsPage
    from cms.publishing.models import SiteBuild
    from cms.publishing.services import content_repo

    base = live_server.url
    section = newsroom.section

    # 1. The editor writes the page on a desktop and submits it to the 审核发布 workflow.
    editor_context = new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    editor_outside = outside_requests(base).watch(editor_context)
    editor = _log_in(editor_context, base, "editor")
    editor.goto(f"{base}/admin/pages/add/openness/newspage/{section.pk}/")
    expect(editor.locator("h1, header").first).to_contain_text("新闻动态")
    editor.locator("#id_title").fill(TITLE)

    body = editor.locator("[data-contentpath=body]")
    body.locator("button.c-sf-add-button").first.click()
    editor.get_by_role("option", name="正文段落").click()
    paragraph = body.locator(".Draftail-Editor [contenteditable=true]").first
    paragraph.click()
    paragraph.press_sequentially(PARAGRAPH)
    expect(paragraph).to_contain_text(PARAGRAPH)

    # A Chinese title gives no ASCII slug (WAGTAIL_ALLOW_UNICODE_SLUGS is off): type one.
    editor.get_by_role("tab", name="推荐").click()
    editor.locator("#id_slug").fill(SLUG)
    editor.get_by_role("tab", name="内容").click()
    expect(editor.locator("#id_slug")).to_have_value(SLUG)
    # The admin scrolls inside its own panel, so full_page would not show more: bring the body in.
    paragraph.scroll_into_view_if_needed()
    editor.screenshot(path=str(tmp_path / "1-editor-page-form.png"))

    editor.locator("footer .w-dropdown__toggle").click()
    submit = editor.locator("footer button[name=action-submit]")
    expect(submit).to_contain_text("审核发布")
    submit.click()
    editor.wait_for_url(f"{base}/admin/pages/{section.pk}/")
    expect(editor.locator(".messages")).to_contain_text(TITLE)
    expect(editor.locator(".messages")).to_contain_text("提交审核")

    page = NewsPage.objects.get(slug=SLUG)
    assert not page.live
    workflow_state = page.current_workflow_state
    assert workflow_state is not None and workflow_state.workflow.name == "审核发布"
    assert workflow_state.requested_by == newsroom.editor

    # 2. The reviewer finds it on the dashboard and approves it with a comment: right there
    #    from the row's menu (on a phone), or after opening it in the page editor (desktop).
    #    The page editor posts the whole edit form and saves a revision as the reviewer, which
    #    is the one published: the content/ commit must still name the editor as its author.
    reviewer_context = new_context(viewport=REVIEWER_VIEWPORTS[approve_in], locale="zh-CN")
    reviewer_outside = outside_requests(base).watch(reviewer_context)
    reviewer = _log_in(reviewer_context, base, "reviewer")
    awaiting = reviewer.locator("#awaiting-review-section tr", has_text=TITLE)
    expect(awaiting).to_contain_text("王编辑")
    if approve_in == "dashboard":
        awaiting.get_by_role("button", name="操作").click()
        awaiting.get_by_role("button", name="带评论批准").click()
    else:
        awaiting.get_by_role("link", name=TITLE).click()
        reviewer.wait_for_url(f"{base}/admin/pages/{page.pk}/edit/")
        expect(reviewer.locator("[data-contentpath=body]")).to_contain_text(PARAGRAPH)
        reviewer.screenshot(path=str(tmp_path / "2-reviewer-page-editor.png"))
        reviewer.locator("footer .w-dropdown__toggle").click()
        reviewer.locator("footer button[data-workflow-action-name=approve][data-workflow-action-modal-url]").click()
    reviewer.locator(".modal textarea[name=comment]").fill(REVIEW_COMMENT)
    _screenshot(reviewer, tmp_path / "3-reviewer-approve-dialog.png", settle=".modal")
    reviewer.locator(".modal form button[type=submit]").click()
    if approve_in == "dashboard":
        reviewer.wait_for_url(f"{base}/admin/")
        expect(reviewer.locator("#awaiting-review-section tr", has_text=TITLE)).to_have_count(0)
    else:
        reviewer.wait_for_url(f"{base}/admin/pages/{section.pk}/")
        expect(reviewer.locator(".messages")).to_contain_text(TITLE)
    _screenshot(reviewer, tmp_path / "4-reviewer-after-approval.png", settle=".messages")

    page.refresh_from_db()
    assert page.live
    approval = TaskState.objects.filter(workflow_state=workflow_state).get()
    assert approval.status == TaskState.STATUS_APPROVED
    assert approval.finished_by == newsroom.reviewer
    assert approval.comment == REVIEW_COMMENT

    # The admin pages never asked any other host for anything.
    assert editor_outside.seen and reviewer_outside.seen
    assert editor_outside == [] and reviewer_outside == []

    # 3. The publishing worker commits content/ and builds a release.
    _run_worker()
    build = SiteBuild.objects.order_by("-id").first()
    assert build is not None and build.status == SiteBuild.Status.SUCCEEDED, build and build.error

    # 4. A member opens the link in WeChat on a phone.
    member_context = new_context(**WECHAT_PHONE)
    member_outside = outside_requests(base).watch(member_context)
    member = member_context.new_page()
    member.set_default_timeout(TIMEOUT_MS)
    response = member.goto(f"{base}/news/{SLUG}/")
    assert response.status == 200
    expect(member.locator("article h1")).to_have_text(TITLE)
    expect(member.locator("article")).to_contain_text(PARAGRAPH)
    member.wait_for_load_state("networkidle")
    member.screenshot(path=str(tmp_path / "5-member-published-page.png"))
    assert member.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert member_outside == []

    # content/ records the publication under the editor's name, approved by the reviewer.
    ours = [entry for entry in content_repo().log(max_count=10) if TITLE in entry["message"]]
    assert ours, content_repo().log(max_count=10)
    assert ours[0]["committer_name"] == "李审核"
    assert ours[0]["author_name"] == "王编辑"
