"""Browser test of 通知 as the issue's proof describes it: the office sends a notice requiring
a reply to 第一党支部 and the branch's DingTalk robot (a local server that checks the
signature) receives it once the worker has run; a member on a phone sees the unread badge,
chooses email reminders in the 邮件提醒 panel, reads the notice, is refused 不参加 without a
reason, then replies; the branch secretary sees 1 of 3 replied in the admin and reminds the
other two, and the reminder reaches the robot too."""

import datetime as dt
import json
import os
import threading
from types import SimpleNamespace

import pytest

from tests.e2e.conftest import TIMEOUT_MS, WECHAT_PHONE, assert_fits
from tests.e2e.test_member_area import _log_in

pytestmark = pytest.mark.e2e

TITLE = "关于召开专题组织生活会的通知"
BODY = "时间：周五下午三点\n地点：三楼会议室\n请各位党员提前安排好工作，准时参加。"
HOSTILE = "通知<b>XSS</b><img src=x onerror=alert(1)>"
ROBOT_SECRET = "SECe2e0000notices"
# DJ_HELP_SHOTS=site/pages/help/images refreshes the 使用指南's screenshots of these pages
# (as tests/e2e/test_feedback_forms.py does for 问卷).
HELP_SHOTS = os.environ.get("DJ_HELP_SHOTS")


def _keep(tmp_path, name):
    if HELP_SHOTS:
        from pathlib import Path

        from cms.bootstrap.management.commands.help_screenshots import optimise_png

        (Path(HELP_SHOTS) / name).write_bytes(optimise_png((tmp_path / name).read_bytes()))


def _run_worker() -> None:
    """The queue step of `manage.py worker` (django-tasks' database worker, as the command
    runs it) until the queue is empty. In a thread of its own, with its own database
    connection like a worker process: Playwright keeps an asyncio loop running in the test
    thread, and the delivery task sends to robots under asyncio.run. (The command itself
    cannot run in a thread: it installs signal handlers.)"""
    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    from cms.publishing.management.commands.worker import run_queue

    def run():
        try:
            run_queue("e2e-notices")
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    failed = DBTaskResult.objects.filter(status="FAILED")
    assert not failed.exists(), list(failed.values_list("task_path", "exception_class_path", "traceback"))


def _robot_messages(robot) -> list[str]:
    """What the robot accepted (it refuses a bad signature or a stale timestamp), as text."""
    for request in robot.requests:
        # Signed as DingTalk's 加签 asks: timestamp and sign in the address.
        assert request.query.get("timestamp") and request.query.get("sign"), request.path
        assert request.answer == {"errcode": 0, "errmsg": "ok"}, request.answer
    from cms.delivery.models import Delivery

    # The delivery log says so too (nothing waiting, failed or retried).
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}
    return [json.dumps(message, ensure_ascii=False) for message in robot.received]


@pytest.fixture
def robot(settings):
    """第一党支部's DingTalk group robot: a local server that checks the signature."""
    from tests.delivery.robot_servers import DingTalkServer

    settings.DELIVERY_ALLOWED_HTTP_HOSTS = ["127.0.0.1"]
    settings.DELIVERY_TIMEOUT_SECONDS = 5.0
    with DingTalkServer() as server:
        server.secret = ROBOT_SECRET
        yield server


@pytest.fixture
def notice_site(public_home, publish, robot):
    from django.utils import timezone

    from cms.accounts.models import BranchRole, MemberStatus, OrganisationUnit
    from cms.delivery.models import Channel
    from cms.notifications import services
    from tests.factories import MembershipFactory, OrganisationUnitFactory, SectionPageFactory
    from tests.study.conftest import administrator

    SectionPageFactory(parent=public_home, title="新闻动态", slug="news")
    committee = OrganisationUnitFactory(name="机关党委", kind=OrganisationUnit.Kind.COMMITTEE)
    branch = OrganisationUnitFactory(name="第一党支部", parent=committee)
    Channel.objects.create(
        name="第一党支部钉钉群", unit=branch, kind="dingtalk", address=robot.address(), secret=ROBOT_SECRET
    )
    member = MembershipFactory(
        user__username="member1",
        user__last_name="钱",
        user__first_name="学员",
        user__organisation=branch,
        status=MemberStatus.FULL,
    ).user
    MembershipFactory(user__username="member2", user__organisation=branch, status=MemberStatus.FULL)
    secretary = MembershipFactory(
        user__username="secretary1",
        user__last_name="赵",
        user__first_name="书记",
        user__organisation=branch,
        status=MemberStatus.FULL,
        role=BranchRole.SECRETARY,
    ).user
    office = administrator(username="office1")
    notice = services.save_draft(
        office,
        None,
        title=TITLE,
        body=BODY,
        kind="meeting",
        sender_unit=committee,
        audience_units=[branch],
        audience_statuses=[],
        requires_confirmation=True,
        requires_reply=True,
        deadline=timezone.now() + dt.timedelta(days=3),
    )
    services.send(office, notice)
    publish()
    return SimpleNamespace(member=member, secretary=secretary, notice=notice, office=office, branch=branch)


def test_a_member_reads_and_replies_the_secretary_sees_it_and_reminds_the_rest(
    notice_site, robot, live_server, new_context, outside_requests, tmp_path
):
    from playwright.sync_api import expect

    from cms.delivery.models import EmailPreference
    from cms.notifications.models import NoticeRecipient
    from tests.factories import PASSWORD

    # 0. The worker sends the notice to the branch's robot: title and a link, not the body.
    assert robot.received == []  # never in the request that sent it
    _run_worker()
    sent = _robot_messages(robot)
    assert len(sent) == 1 and TITLE in sent[0] and f"/member/notice/?id={notice_site.notice.pk}" in sent[0]
    assert "三楼会议室" not in sent[0]

    base = live_server.url
    context = new_context(**WECHAT_PHONE)
    outside = outside_requests(base).watch(context)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    # 1. 通知 with the unread badge on its tab; the title shown as typed.
    page.goto(f"{base}/member/notices/")
    _log_in(page)
    expect(page.locator("h1")).to_have_text("通知")
    tab = page.locator('[data-dj-nav-view="notices"]')
    badge = tab.locator("[data-dj-nav-badge]")
    expect(badge).to_have_text("1")
    card = page.locator(".dj-notices-item--unread")
    expect(card).to_contain_text("待确认")
    expect(card).to_contain_text("待回执")
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "n1-list.png"), full_page=False)
    _keep(tmp_path, "n1-list.png")

    # 1a. 邮件提醒: off until chosen; switching it on saves at once and survives a reload.
    panel = page.locator(".dj-notices-email")
    expect(panel).to_contain_text("member1@example.com")
    notices_mail = page.get_by_role("switch", name="通知公告邮件")
    answers_mail = page.get_by_role("switch", name="咨询答复邮件")
    expect(notices_mail).not_to_be_checked()
    notices_mail.click()
    expect(panel.locator("[role=status]")).to_have_text("已保存：开启通知公告邮件。")
    assert_fits(page)
    panel.screenshot(path=str(tmp_path / "n4-email.png"))
    _keep(tmp_path, "n4-email.png")
    page.reload()
    expect(notices_mail).to_be_checked()
    expect(answers_mail).not_to_be_checked()
    assert EmailPreference.objects.filter(user=notice_site.member, notices=True, answers=False).exists()

    # 1b. The address is removed while the page is open: the API's refusal is said in the
    # panel and the switch goes back; after a reload it cannot be switched on, only off.
    type(notice_site.member).objects.filter(pk=notice_site.member.pk).update(email="")
    answers_mail.click()
    expect(panel.get_by_role("alert")).to_contain_text("没有登记电子邮箱")
    expect(answers_mail).not_to_be_checked()
    page.reload()
    expect(panel).to_contain_text("请联系管理员登记邮箱")
    expect(answers_mail).to_be_disabled()
    notices_mail.click()
    expect(panel.locator("[role=status]")).to_have_text("已保存：关闭通知公告邮件。")
    expect(notices_mail).to_be_disabled()
    assert EmailPreference.objects.filter(user=notice_site.member, notices=False).exists()

    # 2. Opening it marks it read: the badge goes.
    card.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".dj-notices-body")).to_have_text(BODY)
    expect(badge).to_be_hidden()

    # 3. 已读确认, then 不参加 without a reason is refused next to the field, then sent.
    page.get_by_role("button", name="我已阅读并确认").click()
    expect(page.get_by_text("确认。", exact=False).first).to_be_visible()
    page.get_by_label("不参加", exact=True).check()
    page.get_by_role("button", name="提交回执").click()
    expect(page.locator("#dj-notices-reason-error")).to_have_text("选择“不参加”时请填写原因。")
    page.get_by_label("不参加的原因").fill("外出培训")
    page.get_by_role("button", name="提交回执").click()
    expect(page.locator(".dj-notices-badges")).to_contain_text("已回执：不参加")
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "n2-replied.png"), full_page=False)
    _keep(tmp_path, "n2-replied.png")
    row = NoticeRecipient.objects.get(user=notice_site.member)
    assert (row.reply, row.reason) == ("absent", "外出培训") and row.confirmed_at is not None

    # 4. The branch secretary: 1 of 3 replied; reminds the other two.
    admin = new_context(viewport={"width": 375, "height": 812}).new_page()
    admin.set_default_timeout(TIMEOUT_MS)
    admin.goto(f"{base}/admin/login/")
    admin.locator("input[name=username]").fill("secretary1")
    admin.locator("input[name=password]").fill(PASSWORD)
    admin.locator("form button[type=submit]").click()
    admin.wait_for_url(f"{base}/admin/")
    admin.goto(f"{base}/admin/notices/")
    admin.get_by_role("link", name=TITLE).click()
    expect(admin.locator('[data-count="replied"]')).to_have_text("1")
    expect(admin.locator('[data-count="total"]')).to_have_text("3")
    expect(admin.locator("h3.dj-unit-status")).to_contain_text("已回执 1/3")
    admin.get_by_role("button", name="提醒未完成的 2 人").click()
    expect(admin.get_by_text("已提醒 2 位尚未完成的人员。")).to_be_visible()
    admin.screenshot(path=str(tmp_path / "n3-status.png"), full_page=False)
    _keep(tmp_path, "n3-status.png")
    reminded = NoticeRecipient.objects.filter(last_reminded_at__isnull=False)
    assert sorted(reminded.values_list("user__username", flat=True)) == ["member2", "secretary1"]
    # The reminder reaches the branch's robot through the worker as well.
    _run_worker()
    sent = _robot_messages(robot)
    assert len(sent) == 2 and f"【提醒】{TITLE}" in sent[1]

    # 5. Markup in a title stays text in the member area.
    from cms.notifications import services

    hostile = services.save_draft(
        notice_site.office,
        None,
        title=HOSTILE,
        body=HOSTILE,
        kind="other",
        sender_unit=notice_site.branch,
        audience_units=[notice_site.branch],
        audience_statuses=[],
        requires_confirmation=False,
        requires_reply=False,
        deadline=None,
    )
    services.send(notice_site.office, hostile)
    page.goto(f"{base}/member/notices/")
    expect(page.locator(".dj-notices-item h3").first).to_have_text(HOSTILE)
    page.locator(".dj-notices-item h3 a").first.click()
    expect(page.locator(".dj-notices-body")).to_have_text(HOSTILE)
    expect(page.locator("h1")).to_have_text(HOSTILE)
    assert page.locator("[data-dj-body] b, [data-dj-body] img[src=x], h1 b").count() == 0

    assert outside.seen and outside == []
