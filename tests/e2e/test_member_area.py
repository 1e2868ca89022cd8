"""Browser tests of the member area (党员学习) as members use it: on a phone in WeChat, on the
static site built by the publishing pipeline, talking to the real member API.

A member logs in at 375 px, opens a required course, reads a lesson until the server has
credited its required time, completes it and sees it marked 已学完; the branch secretary then
sees that progress in the admin's 学习进度 report. A session that expires mid-lesson brings back the log-in form with
“登录已过期，请重新登录” and, after logging in, the same lesson. A link to a private document
leads through the member log-in to the file, and no `next` takes the member off the site. No
page asks another host for anything, nothing scrolls sideways, and the lesson text is nowhere
in the built site.
"""

import datetime
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.e2e.conftest import TIMEOUT_MS, assert_fits, phone

pytestmark = pytest.mark.e2e

# Private markers: they may appear only in API answers, never in a file of the static site.
LESSON_TEXT = "课时正文标记SECRETLESSON甲：党员要牢记入党誓词。"
SECOND_LESSON_TEXT = "课时正文标记SECRETLESSON乙：按期交纳党费。"
# No 最少学习时长 and a short body: the estimate's floor, 10 s, is what the server requires.
REQUIRED_SECONDS = 10
# The page reports every 2 s instead of 30 (?heartbeat=2); the server still credits at most the
# wall-clock time between reports, so the lesson takes as long as it takes.
HEARTBEAT = 2


@pytest.fixture
def study_site(public_home, site_paths, publish):
    """A published public site, a branch with a member and its secretary, a required course
    for the branch (two lessons) and an overdue required course."""
    from cms.accounts.models import BranchRole, MemberStatus
    from tests.factories import (
        CourseFactory,
        LessonFactory,
        MembershipFactory,
        OrganisationUnitFactory,
        SectionPageFactory,
        rich_body,
    )

    home = public_home
    SectionPageFactory(parent=home, title="新闻动态", slug="news")

    branch = OrganisationUnitFactory(name="第一党支部")
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
    today = timezone.localdate()
    course = CourseFactory(
        title="党章专题学习班",
        slug="charter",
        required=True,
        deadline=today + datetime.timedelta(days=7),
        intro="全体党员必修。",
        audience_units=[branch],
    )
    first = LessonFactory(
        parent=course,
        title="第一课：入党誓词",
        slug="oath",
        min_study_minutes=None,
        summary="重温入党誓词。",
        body=rich_body(LESSON_TEXT),
    )
    second = LessonFactory(
        parent=course,
        title="第二课：党费",
        slug="dues",
        min_study_minutes=None,
        summary="党费的交纳。",
        body=rich_body(SECOND_LESSON_TEXT),
    )
    overdue = CourseFactory(
        title="廉洁自律专题",
        slug="integrity",
        required=True,
        deadline=today - datetime.timedelta(days=1),
        audience_units=[branch],
    )
    LessonFactory(parent=overdue, title="廉洁课时", slug="integrity-1")

    publish()  # the static site, member pages included, as the worker builds it
    return SimpleNamespace(
        member=member,
        secretary=secretary,
        course=course,
        first=first,
        second=second,
        overdue=overdue,
        release=(site_paths["SITE_RELEASES_DIR"] / "current").resolve(),
    )


def _log_in(page, username="member1"):
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    form = page.locator("form.dj-login")
    expect(form).to_be_visible()
    # Visible labels name the fields.
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()


def assert_branch_secretary_sees_progress(new_context, base, secretary, member, course, tmp_path):
    """The secretary logs into the admin on a phone, opens 学习进度 and finds the member's row."""
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    context = new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base}/admin/login/")
    page.locator("input[name=username]").fill(secretary.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")

    page.goto(f"{base}/admin/study/progress/")
    page.get_by_role("link", name=course.title).click()
    row = page.locator("tr", has_text=member.display_name)
    expect(row.locator("td[data-label=已学课时]")).to_have_text("1/2")
    expect(row.locator("td[data-label=状态]")).to_contain_text("学习中")
    expect(page.locator("tr", has_text=secretary.display_name).locator("td[data-label=状态]")).to_contain_text("未开始")
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "4-secretary-report.png"), full_page=True)
    context.close()


def test_member_studies_a_lesson_to_completion_and_the_secretary_sees_it(
    study_site, live_server, new_context, outside_requests, tmp_path
):
    from playwright.sync_api import expect

    from cms.study.models import LessonProgress

    base = live_server.url
    data = study_site
    _, page, outside = phone(new_context, outside_requests, base)

    # 1. The member area is found from every page of the public site.
    page.goto(f"{base}/")
    footer_link = page.locator("footer a", has_text="党员学习")
    expect(footer_link).to_have_attribute("href", "member/")
    footer_link.click()
    page.wait_for_url(f"{base}/member/")

    # 2. Log in on the static page: the form appears once the API says nobody is logged in.
    _log_in(page)
    expect(page.locator("h1")).to_have_text("党员学习")
    expect(page.locator("h1")).to_be_focused()  # focus follows the view that replaced the form
    expect(page.locator(".dj-account")).to_contain_text("钱学员")
    cards = page.locator(".dj-card")
    expect(cards).to_have_count(2)
    charter = cards.filter(has_text="党章专题学习班")
    expect(charter.locator(".dj-badge--required")).to_have_text("必修")
    deadline = data.course.deadline
    expect(charter.locator(".dj-badge--deadline")).to_have_text(
        f"截止 {deadline.year}年{deadline.month}月{deadline.day}日"
    )
    expect(charter).to_contain_text("已学完 0 / 2 个课时")
    expect(cards.filter(has_text="廉洁自律专题").locator(".dj-badge--overdue").last).to_have_text("已逾期")
    expect(page.locator(".dj-totals")).to_contain_text("已逾期1 门")
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "1-member-home.png"), full_page=True)

    # 3. The required course and its lessons.
    charter.get_by_role("link", name="党章专题学习班").click()
    page.wait_for_url(f"{base}/member/course/?id={data.course.pk}")
    expect(page.locator("h1")).to_have_text("党章专题学习班")
    lessons = page.locator(".dj-lesson-item")
    expect(lessons).to_have_count(2)
    expect(lessons.first).to_contain_text("未开始")
    expect(lessons.first).to_contain_text("需学习 10 秒")
    assert_fits(page)
    link = lessons.first.get_by_role("link", name="第一课：入党誓词")
    assert link.get_attribute("href") == f"/member/lesson/?id={data.first.pk}"

    # 4. Read the lesson. The button waits for the server's figure, not the page's own clock.
    started = time.monotonic()
    page.goto(f"{base}/member/lesson/?id={data.first.pk}&heartbeat={HEARTBEAT}")
    expect(page.locator("h1")).to_have_text("第一课：入党誓词")
    expect(page.locator(".dj-lesson__body")).to_contain_text(LESSON_TEXT)
    button = page.get_by_role("button", name="完成本课时")
    expect(button).to_be_disabled()
    expect(page.locator(".dj-study__time")).to_contain_text("还需约")
    expect(page.locator(".dj-lesson-pager a[rel=next]")).to_have_attribute(
        "href", f"/member/lesson/?id={data.second.pk}"
    )
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "2-lesson-counting.png"), full_page=True)
    expect(button).to_be_enabled(timeout=(REQUIRED_SECONDS + 12) * 1000)
    waited = time.monotonic() - started
    record = LessonProgress.objects.get(user=data.member, lesson=data.first)
    # Credited from heartbeats: at least what is required, never more than the time that passed.
    assert REQUIRED_SECONDS <= record.seconds_spent <= waited + 5
    assert waited >= REQUIRED_SECONDS - 5  # heartbeats are granted 5 s slack, no more
    button.click()
    done = page.locator(".dj-study__done")
    expect(done).to_contain_text("本课时已学完")
    expect(done).to_be_focused()
    expect(page.locator(".dj-study__top")).to_have_text("✓ 已学完")
    expect(button).to_be_hidden()
    page.screenshot(path=str(tmp_path / "3-lesson-completed.png"), full_page=True)
    record.refresh_from_db()
    assert record.completed_at is not None

    # 5. Back in the course the lesson is 已学完, the next one is offered.
    page.goto(f"{base}/member/course/?id={data.course.pk}")
    expect(lessons.first.locator(".dj-badge")).to_have_text("已学完")
    expect(lessons.nth(1).locator(".dj-badge")).to_have_text("未开始")
    expect(page.get_by_role("link", name="开始学习：第二课：党费")).to_be_visible()
    expect(page.locator(".dj-progress__label").first).to_contain_text("已学完 1 / 2 个课时")

    # 6. The help is one link away and fits the phone too.
    page.goto(f"{base}/help/")
    expect(page.locator("h1")).to_have_text("使用指南")
    assert_fits(page)

    assert outside.seen and outside == []

    # 7. The branch secretary sees the member's progress.
    assert_branch_secretary_sees_progress(new_context, base, data.secretary, data.member, data.course, tmp_path)

    # 8. Lesson text, titles and summaries went to the browser through the API only: no file of
    #    the release (HTML, search index, sitemap, feed, scripts) holds them.
    private = [
        LESSON_TEXT,
        SECOND_LESSON_TEXT,
        "SECRETLESSON",
        "入党誓词",
        "第二课：党费",
        "重温入党誓词",
        "廉洁自律专题",
        "党章专题学习班",
    ]
    from build_scripts.release_tree import walk_files

    files = [file for _rel, file in walk_files(data.release)]  # through shared directories
    assert any(file.name == "index.html" and file.parent.name == "lesson" for file in files)
    for file in files:
        raw = file.read_bytes()
        for marker in private:
            assert marker.encode("utf-8") not in raw, (marker, file)


def test_expired_session_brings_back_the_log_in_form_and_the_same_lesson(
    study_site, live_server, new_context, outside_requests
):
    from playwright.sync_api import expect

    from cms.study.models import LessonProgress

    base = live_server.url
    data = study_site
    context, page, outside = phone(new_context, outside_requests, base)
    lesson_url = f"{base}/member/lesson/?id={data.second.pk}&heartbeat={HEARTBEAT}"

    # Opening a lesson link while logged out asks to log in, then shows that lesson. A wrong
    # password is refused in Chinese, announced and marked on the fields.
    page.goto(lesson_url)
    page.get_by_label("用户名").fill("member1")
    page.get_by_label("密码").fill("wrong-password")
    page.locator("form.dj-login").get_by_role("button", name="登录").click()
    expect(page.locator("[data-dj-alert]")).to_have_text("用户名或密码不正确。")
    expect(page.get_by_label("密码")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("密码")).to_be_focused()
    _log_in(page)
    expect(page.locator("h1")).to_have_text("第二课：党费")
    expect(page.locator(".dj-lesson__body")).to_contain_text(SECOND_LESSON_TEXT)
    expect(page.locator(".dj-lesson-pager a[rel=prev]")).to_have_attribute(
        "href", f"/member/lesson/?id={data.first.pk}"
    )

    # The session ends while the member reads (cookies gone: expiry, log-out elsewhere).
    context.clear_cookies()
    alert = page.locator("[data-dj-alert]")
    expect(alert).to_have_text("登录已过期，请重新登录", timeout=HEARTBEAT * 1000 + TIMEOUT_MS)
    expect(page.locator("form.dj-login")).to_be_visible()
    expect(page.locator(".dj-lesson__body")).to_have_count(0)  # the lesson left the page with the session
    expect(page.get_by_label("用户名")).to_be_focused()
    assert_fits(page)
    seconds_before = LessonProgress.objects.get(user=data.member, lesson=data.second).seconds_spent

    # Log in again: back to the same lesson, and its clock runs again.
    _log_in(page)
    expect(page.locator("h1")).to_have_text("第二课：党费")
    expect(page.locator(".dj-lesson__body")).to_contain_text(SECOND_LESSON_TEXT)
    expect(alert).to_be_empty()
    assert page.url == lesson_url
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while LessonProgress.objects.get(user=data.member, lesson=data.second).seconds_spent <= seconds_before:
        assert time.monotonic() < deadline, "no heartbeat was credited after logging in again"
        page.wait_for_timeout(500)

    # A fresh visit after the session is gone says so too (the page remembers a log-in).
    context.clear_cookies()
    page.goto(f"{base}/member/")
    expect(alert).to_have_text("登录已过期，请重新登录")
    expect(page.locator("form.dj-login")).to_be_visible()

    assert outside.seen and outside == []


def test_a_private_document_asks_to_log_in_then_opens_and_no_next_leaves_the_site(
    study_site, live_server, new_context, outside_requests
):
    """A member taps a link to a document of a private collection: the log-in of the member
    area, then the file. A `next` naming another host or a script is never followed."""
    from urllib.parse import quote

    from playwright.sync_api import expect
    from wagtail.models import CollectionViewRestriction

    from tests.factories import CollectionFactory, CourseFactory, DocumentFactory, LessonFactory

    private = CollectionFactory.create("支部资料")
    CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
    document = DocumentFactory(collection=private, file__data=b"BRANCH-MINUTES-2026", file__filename="minutes.txt")
    # A private file opens for those who may read a lesson using it (cms/media/selectors.py).
    LessonFactory(
        parent=CourseFactory(title="支部资料学习", audience_units=[study_site.member.organisation]),
        body=[("attachment", {"document": document, "title": ""})],
    )
    base = live_server.url
    context, page, outside = phone(new_context, outside_requests, base)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    status = page.locator("[data-dj-status]")

    page.goto(f"{base}{document.url}")
    page.wait_for_url(f"{base}/member/?next={document.url}")
    expect(page.locator("form.dj-login")).to_contain_text("登录后继续打开您要查看的文件。")
    # Logged in, the browser asks for the file again and gets it (a download: Wagtail serves
    # documents as attachments); the member area stays usable behind it.
    with page.expect_response(f"{base}{document.url}") as opened, page.expect_download() as download:
        _log_in(page)
    assert opened.value.status == 200
    assert Path(download.value.path()).read_bytes() == b"BRANCH-MINUTES-2026"
    expect(status).to_contain_text("登录成功，正在打开文件…")
    expect(status.get_by_role("link", name="打开文件")).to_have_attribute("href", f"{base}{document.url}")
    expect(page.locator(".dj-account")).to_contain_text("钱学员")

    # Sent here while logged in (a permission the member lacks): no redirect, which would loop.
    page.goto(f"{base}/member/?next={document.url}")
    expect(status).to_contain_text("您已登录。如果仍无法打开该文件，说明您没有查看它的权限。")
    expect(status.get_by_role("link", name="再次打开文件")).to_have_attribute("href", f"{base}{document.url}")
    assert page.url == f"{base}/member/?next={document.url}"

    for username, hostile in [
        ("member1", "//evil.example/"),
        ("member1", "/\\evil.example/"),
        ("secretary1", "https://evil.example/"),
        ("secretary1", "javascript:alert(1)"),
        ("secretary1", "/\t/evil.example/"),
    ]:
        context.clear_cookies()
        url = f"{base}/member/?next={quote(hostile, safe='')}"
        page.goto(url)
        _log_in(page, username)
        expect(page.locator(".dj-account")).to_be_visible()  # logged in, on the member home
        assert page.url == url, hostile
    assert dialogs == []
    assert outside.seen and outside == []


def test_an_initial_password_is_changed_first_then_the_lesson_opens(
    study_site, live_server, new_context, outside_requests
):
    """An account whose password the branch handed out (cms/accounts/first_login.py): after
    logging in the member sets their own password, then reads the lesson they came for."""
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    data = study_site
    data.member.must_change_password = True
    data.member.save(update_fields=["must_change_password"])
    base = live_server.url
    context, page, outside = phone(new_context, outside_requests, base)
    lesson_url = f"{base}/member/lesson/?id={data.first.pk}"

    page.goto(lesson_url)
    _log_in(page)
    expect(page.locator("h1")).to_have_text("请先修改初始密码")
    expect(page.locator(".dj-lesson__body")).to_have_count(0)
    page.get_by_label("当前密码（初始密码）").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("qwzxmnbvpl")
    page.get_by_label("再次输入新密码").fill("qwzxmnbvpl")
    page.get_by_role("button", name="修改密码并继续").click()
    expect(page.locator("[data-dj-alert]")).to_contain_text("至少 3 类")
    expect(page.get_by_label("新密码", exact=True)).to_have_attribute("aria-invalid", "true")
    # The message stands under the field it is about.
    expect(page.locator(".dj-field:has(#dj-new-password) .dj-form__error")).to_contain_text("至少 3 类")

    page.get_by_label("新密码", exact=True).fill("Wode-mima-77")
    page.get_by_label("再次输入新密码").fill("Wode-mima-77")
    page.get_by_role("button", name="修改密码并继续").click()

    expect(page.locator("h1")).to_have_text("第一课：入党誓词")
    expect(page.locator(".dj-lesson__body")).to_contain_text(LESSON_TEXT)
    assert page.url == lesson_url
    data.member.refresh_from_db()
    assert not data.member.must_change_password and data.member.check_password("Wode-mima-77")
    assert_fits(page)
    assert outside.seen and outside == []


def test_staff_with_a_second_factor_give_the_code_at_the_member_log_in(
    study_site, live_server, new_context, outside_requests
):
    """The branch secretary edits in the admin and enrolled an authenticator app: the member
    log-in asks for the code after the password (cms/accounts/otp.py), then opens the course."""
    from django.contrib.auth.models import Group
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    from cms.accounts.otp import is_staff
    from cms.accounts.roles import EDITOR
    from tests.factories import PASSWORD

    data = study_site
    data.secretary.groups.add(Group.objects.get(name=EDITOR))  # writes in the admin too
    assert is_staff(data.secretary)
    device = TOTPDevice.objects.create(user=data.secretary, name="身份验证器", confirmed=True)
    base = live_server.url
    context, page, outside = phone(new_context, outside_requests, base)

    page.goto(f"{base}/member/")
    page.get_by_label("用户名").fill("secretary1")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.locator("form.dj-login").get_by_role("button", name="登录").click()
    expect(page.locator("[data-dj-alert]")).to_have_text("您已启用双重验证，请输入身份验证器上的 6 位验证码。")
    expect(page.get_by_label("验证码")).to_be_focused()

    page.get_by_label("验证码").fill(f"{totp(device.bin_key):06d}")
    page.locator("form.dj-login").get_by_role("button", name="登录").click()

    expect(page.get_by_role("link", name=data.course.title).first).to_be_visible()
    assert outside.seen and outside == []
