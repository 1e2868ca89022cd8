"""Browser test of 我的咨询 as members use it (a phone in WeChat, 375 px, the static site
built by the publishing pipeline, the real member API): a member asks their branch with a file
attached, the branch secretary answers in the admin, and the member sees the answer and the
badge on the 我的咨询 tab, which goes away once the answer has been read."""

import re
from types import SimpleNamespace

import pytest

from tests.e2e.conftest import TIMEOUT_MS, WECHAT_PHONE, assert_fits
from tests.e2e.test_member_area import _log_in

pytestmark = pytest.mark.e2e

SUBJECT = "组织关系转接<b>XSS</b>"
QUESTION = "我下月调到分公司，组织关系怎么转？"
ANSWER = "请带上介绍信到新单位党支部报到，支部会在一周内办好。"


@pytest.fixture
def consult_site(public_home, publish):
    from cms.accounts.models import BranchRole, MemberStatus, OrganisationUnit
    from tests.factories import MembershipFactory, OrganisationUnitFactory, SectionPageFactory

    SectionPageFactory(parent=public_home, title="新闻动态", slug="news")
    committee = OrganisationUnitFactory(name="机关党委", kind=OrganisationUnit.Kind.COMMITTEE)
    branch = OrganisationUnitFactory(name="第一党支部", parent=committee)
    member = MembershipFactory(
        user__username="member1",
        user__last_name="钱",
        user__first_name="学员",
        user__organisation=branch,
        status=MemberStatus.FULL,
    ).user
    secretary = MembershipFactory(
        user__username="secretary1",
        user__last_name="赵",
        user__first_name="书记",
        user__organisation=branch,
        status=MemberStatus.FULL,
        role=BranchRole.SECRETARY,
    ).user
    publish()
    return SimpleNamespace(member=member, secretary=secretary)


def test_a_member_asks_the_secretary_answers_the_member_sees_the_answer(
    consult_site, live_server, new_context, outside_requests, tmp_path
):
    from playwright.sync_api import expect

    from cms.consultations.models import Consultation, State
    from tests.factories import PASSWORD

    base = live_server.url
    context = new_context(**WECHAT_PHONE)
    outside = outside_requests(base).watch(context)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    # 1. 我的咨询 after logging in; the tab is in the member area's navigation.
    page.goto(f"{base}/member/consultations/")
    _log_in(page)
    expect(page.locator("h1")).to_have_text("我的咨询")
    tab = page.locator('[data-dj-nav-view="consultations"]')
    expect(tab).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("您还没有提过问题或建议。")).to_be_visible()

    # 2. An empty form: each message stands under its own field.
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#dj-consultations-subject-error")).to_have_text("请填写主题。")
    expect(page.locator("#dj-consultations-text-error")).to_have_text("请填写内容。")
    expect(page.get_by_label("主题")).to_be_focused()
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "1-ask-errors.png"), full_page=True)

    # 3. A refused file comes back from the server under the attachment field.
    page.get_by_label("类型").select_option("question")
    expect(page.get_by_label("提交给")).to_have_value("branch")
    page.get_by_label("主题").fill(SUBJECT)
    page.get_by_label("内容", exact=True).fill(QUESTION)
    page.get_by_label("附件（选填）").set_input_files(
        {"name": "假文件.pdf", "mimeType": "application/pdf", "buffer": b"<html>not a pdf</html>"}
    )
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#dj-consultations-attachment-error")).to_contain_text("文件内容与扩展名")
    assert not Consultation.objects.exists()

    page.get_by_label("附件（选填）").set_input_files(
        {"name": "调动通知.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 transfer notice"}
    )
    page.get_by_label("同意在答复后将问题").check()
    page.get_by_role("button", name="提交").click()

    # 4. The new item: 待回复, the question as typed (markup shown as text).
    page.wait_for_url(re.compile(r"/member/consultation/\?id=\d+$"))
    item = Consultation.objects.get()
    assert page.url == f"{base}/member/consultation/?id={item.pk}"
    expect(page.locator("h1")).to_have_text(SUBJECT)
    expect(page.locator(".dj-consultations-facts")).to_contain_text("待回复")
    expect(page.locator(".dj-consultations-text")).to_have_text(QUESTION)
    expect(page.get_by_role("link", name="调动通知.pdf")).to_be_visible()
    assert page.locator("h1 b").count() == 0
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "2-asked.png"), full_page=True)

    # 5. The branch secretary answers in the admin, on a phone too.
    admin = new_context(viewport={"width": 375, "height": 812}).new_page()
    admin.set_default_timeout(TIMEOUT_MS)
    admin.goto(f"{base}/admin/login/")
    admin.locator("input[name=username]").fill("secretary1")
    admin.locator("input[name=password]").fill(PASSWORD)
    admin.locator("form button[type=submit]").click()
    admin.wait_for_url(f"{base}/admin/")
    expect(admin.locator('#consultations-panel-content [data-count="pending"]')).to_have_text("1")
    admin.goto(f"{base}/admin/consultations/")
    admin.get_by_role("link", name=SUBJECT).click()
    expect(admin.locator(".dj-thread-text")).to_have_text(QUESTION)
    admin.get_by_label("答复内容").fill(ANSWER)
    admin.get_by_role("button", name="发送答复").click()
    expect(admin.get_by_text("答复已发送")).to_be_visible()
    admin.screenshot(path=str(tmp_path / "3-secretary-answered.png"), full_page=True)
    item.refresh_from_db()
    assert item.state == State.ANSWERED and item.first_answered_at is not None

    # 6. The member sees the badge, then the answer; the badge goes once it is read.
    page.goto(f"{base}/member/consultations/")
    badge = tab.locator("[data-dj-nav-badge]")
    expect(badge).to_have_text("1")
    card = page.locator(".dj-consultations-item", has_text=SUBJECT)
    expect(card).to_contain_text("已回复")
    expect(card).to_contain_text("有新答复")
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "4-badge.png"), full_page=True)
    card.get_by_role("link", name=SUBJECT).click()
    answer = page.locator(".dj-consultations-message--answer")
    expect(answer.locator(".dj-consultations-text")).to_have_text(ANSWER)
    expect(answer).to_contain_text("赵书记")
    expect(badge).to_be_hidden()
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "5-answer.png"), full_page=True)

    assert outside.seen and outside == []
