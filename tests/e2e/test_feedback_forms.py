"""Browser tests of feedback forms as people use them: on a phone (375 px, WeChat's browser), on
the static site built by the publishing pipeline, against the real API.

A member opens a form in 我的问卷, answers half of it, loses the connection (offline emulation),
keeps typing and is told the answers are kept on the phone; back online the draft reaches the
server, and after a reload the answers are still there. A missing answer is listed at the top
and said under its question; the member fixes it, submits, and finds the form under 已提交.

An anonymous visitor answers 群众心声 on the public site: a value the server refuses is
explained next to its field, the corrected answers are stored, and the page thanks them.
"""

import os
from types import SimpleNamespace

import pytest

from tests.e2e.conftest import assert_fits, phone

pytestmark = pytest.mark.e2e

OFFLINE_TEXT = "网络已断开，您的填写已保存在本机，恢复网络后会自动保存"
# DJ_HELP_SHOTS=site/pages/help/images refreshes the 使用指南's screenshots of these pages.
HELP_SHOTS = os.environ.get("DJ_HELP_SHOTS")


def _shot(page, tmp_path, name):
    page.screenshot(path=str(tmp_path / name), full_page=False)


@pytest.fixture
def forms_site(public_home, site_paths, publish):
    """A branch with a member, a named changeable member form for the branch, and a public
    群众心声 form under a section of the public site; the static site published."""
    from cms.accounts.models import MemberStatus
    from tests.factories import FeedbackFormFactory, MembershipFactory, OrganisationUnitFactory, SectionPageFactory

    home = public_home
    section = SectionPageFactory(parent=home, title="互动交流", slug="interaction")
    branch = OrganisationUnitFactory(name="第一党支部")
    member = MembershipFactory(
        user__username="member1",
        user__last_name="钱",
        user__first_name="学员",
        user__organisation=branch,
        status=MemberStatus.FULL,
    ).user
    member_form = FeedbackFormFactory(
        title="2026年度党支部工作意见征集",
        slug="opinions-2026",
        kind="opinion",
        allow_change=True,
        intro="请对支部今年的工作提出意见和建议。",
        thank_you_text="感谢您对支部工作的支持！",
        audience_units=[branch],
        fields=[
            {
                "label": "总体评价",
                "field_type": "radio",
                "choices": "很好\n较好\n一般\n较差",
                "required": True,
                "help_text": "请选择最符合您看法的一项。",
            },
            {"label": "意见和建议", "field_type": "multiline", "required": True},
            {"label": "对组织生活的满意度", "field_type": "rating", "required": True},
        ],
    )
    public_form = FeedbackFormFactory(
        parent=section,
        title="群众心声",
        slug="voice",
        kind="message",
        intro="欢迎您给党组织留言。",
        thank_you_text="我们会认真阅读每一条留言。",
        fields=[
            {"label": "留言类别", "field_type": "radio", "choices": "意见建议\n咨询\n表扬", "required": True},
            {"label": "留言内容", "field_type": "multiline", "required": True},
            {"label": "年龄", "field_type": "number", "required": False, "min_value": 0, "max_value": 120},
        ],
    )
    publish()
    return SimpleNamespace(member=member, member_form=member_form, public_form=public_form, section=section)


def test_member_answers_a_form_through_a_lost_connection_and_submits(
    forms_site, live_server, new_context, outside_requests, tmp_path
):
    from playwright.sync_api import expect

    from cms.feedback.models import Draft, Participation, Response
    from tests.factories import PASSWORD

    base = live_server.url
    data = forms_site
    context, page, outside = phone(new_context, outside_requests, base)

    # 1. 我的问卷, after logging in: the form waits under 进行中 with its closing state.
    page.goto(f"{base}/member/forms/")
    page.get_by_label("用户名").fill("member1")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.dj-login").get_by_role("button", name="登录").click()
    expect(page.locator("h1")).to_have_text("我的问卷")
    # The tab says how many forms wait for an answer.
    tab = page.locator("[data-dj-nav-view=forms]")
    expect(tab).to_have_attribute("aria-current", "page")
    expect(tab.locator("[data-dj-nav-badge]")).to_have_text("1")
    open_group = page.locator("[data-group=open]")
    expect(open_group.locator("h2")).to_have_text("进行中（1）")
    expect(page.locator("[data-group=answered] .dj-empty")).to_be_visible()
    card = open_group.locator(".dj-forms-card")
    expect(card).to_contain_text("不限截止时间")
    expect(card.locator(".dj-badge")).to_contain_text(["意见征集", "待填写"])
    assert_fits(page)
    _shot(page, tmp_path, "11-forms-list.png")

    # 2. The form, built from its definition: real labels, a fieldset per choice question.
    card.get_by_role("link", name="2026年度党支部工作意见征集").click()
    page.wait_for_url(f"{base}/member/form/?id={data.member_form.pk}")
    expect(page.locator(".dj-forms-intro")).to_have_text("请对支部今年的工作提出意见和建议。")
    overall = page.get_by_role("group", name="总体评价")
    described = overall.get_attribute("aria-describedby").split()
    assert page.locator(f"#{described[0]}").text_content() == "请选择最符合您看法的一项。"
    assert described[-1].endswith("-error")
    overall.get_by_label("较好").check()
    expect(page.locator(".dj-forms-save")).to_contain_text("草稿已自动保存")
    assert Draft.objects.filter(user=data.member, form=data.member_form).exists()
    _shot(page, tmp_path, "12-form-fill.png")

    # 3. The connection drops half-way: typing goes on, the page says the answers are safe.
    context.set_offline(True)
    suggestions = page.get_by_label("意见和建议")
    suggestions.fill("希望多组织一些到基层的调研活动。")
    expect(page.locator(".dj-forms-save")).to_have_text(OFFLINE_TEXT)
    expect(page.locator(".dj-forms-save")).to_be_in_viewport()  # said where the member is, not at the end
    page.wait_for_timeout(2500)  # longer than the save delay: the server is not reached
    draft = Draft.objects.get(user=data.member, form=data.member_form)
    assert "希望多组织" not in str(draft.answers)
    assert_fits(page)
    _shot(page, tmp_path, "14-form-offline.png")

    # 4. Back online: the draft is saved without another keystroke.
    context.set_offline(False)
    expect(page.locator(".dj-forms-save")).to_contain_text("草稿已自动保存")
    draft.refresh_from_db()
    assert "希望多组织一些到基层的调研活动。" in draft.answers.values()

    # 5. A reload brings the answers back.
    page.reload()
    expect(page.get_by_role("group", name="总体评价").get_by_label("较好")).to_be_checked()
    expect(page.get_by_label("意见和建议")).to_have_value("希望多组织一些到基层的调研活动。")

    # 6. A required question left out: listed at the top, said under it, focus on it.
    page.get_by_role("button", name="提交问卷").click()
    summary = page.locator(".dj-forms-summary")
    expect(summary).to_contain_text("请修改以下 1 处问题后再提交")
    expect(summary.get_by_role("link")).to_have_text("请为“对组织生活的满意度”评分。")
    rating = page.get_by_role("group", name="对组织生活的满意度")
    expect(rating.locator(".dj-form__error")).to_have_text("请为“对组织生活的满意度”评分。")
    expect(rating.get_by_label("1 分 非常不满意")).to_be_focused()
    expect(rating.get_by_label("1 分 非常不满意")).to_have_attribute("aria-invalid", "true")
    assert_fits(page)
    summary.scroll_into_view_if_needed()
    _shot(page, tmp_path, "13-form-errors.png")
    assert not Participation.objects.filter(user=data.member).exists()

    # 7. Fixed and submitted: thanks, and the named changeable form offers 修改答卷.
    rating.get_by_label("4 分 满意").check()
    page.get_by_role("button", name="提交问卷").click()
    thanks = page.locator(".dj-forms-thanks")
    expect(thanks).to_contain_text("提交成功")
    expect(thanks).to_contain_text("感谢您对支部工作的支持！")
    expect(thanks).to_be_focused()
    expect(page.get_by_role("button", name="修改答卷")).to_be_visible()
    response = Response.objects.get(form=data.member_form, user=data.member)
    assert response.answers[next(k for k, v in response.answers.items() if v == "较好")] == "较好"
    assert 4 in response.answers.values()
    assert not Draft.objects.filter(user=data.member, form=data.member_form).exists()
    assert page.evaluate("Object.keys(localStorage).filter(k => k.indexOf('dj-forms:') === 0).length") == 0

    # 8. The list has it under 已提交.
    page.goto(f"{base}/member/forms/")
    answered = page.locator("[data-group=answered]")
    expect(answered.locator("h2")).to_have_text("已提交（1）")
    expect(answered.locator(".dj-forms-card")).to_contain_text("2026年度党支部工作意见征集")
    expect(answered.locator(".dj-forms-card")).to_contain_text("提交于")
    expect(page.locator("[data-group=open] h2")).to_have_text("进行中（0）")
    expect(page.locator("[data-dj-nav-view=forms] [data-dj-nav-badge]")).to_be_hidden()
    assert outside == []
    if HELP_SHOTS:
        _save_help_shots(
            tmp_path, ["11-forms-list.png", "12-form-fill.png", "13-form-errors.png", "14-form-offline.png"]
        )


def test_visitor_answers_the_public_form_on_the_static_site(
    forms_site, live_server, new_context, outside_requests, tmp_path
):
    from playwright.sync_api import expect

    from cms.feedback.models import Response

    base = live_server.url
    data = forms_site
    _, page, outside = phone(new_context, outside_requests, base)

    page.goto(f"{base}/interaction/voice/")
    expect(page.locator("h1")).to_have_text("群众心声")
    form = page.locator("form#dj-public-form")
    submit = form.get_by_role("button", name="提交")
    expect(submit).to_be_enabled()  # the script is running
    # The honeypot is there for bots, not for people or their screen readers.
    trap = page.locator("#dj-public-form-website")
    expect(trap).not_to_be_in_viewport()
    expect(trap).to_have_attribute("tabindex", "-1")

    form.get_by_role("group", name="留言类别").get_by_label("意见建议").check()
    form.get_by_label("留言内容").fill("小区党群服务中心周末能否开放？")
    assert_fits(page)
    _shot(page, tmp_path, "15-public-form.png")
    age = form.get_by_label("年龄")
    age.fill("150")
    # The browser's own check is off (novalidate) and the script's too for this value, as on a
    # page older than the form: the server's message must still reach the field.
    page.evaluate(f"document.getElementById('dj-q-{age.get_attribute('name')}').removeAttribute('max')")
    submit.click()
    error = page.locator(f"#dj-q-{age.get_attribute('name')}-error")
    expect(error).not_to_be_empty()
    message = error.text_content()
    assert "120" in message, message  # the server's Chinese message, next to the field
    expect(age).to_have_attribute("aria-invalid", "true")
    expect(age).to_be_focused()
    expect(page.locator("#dj-public-form-summary")).to_contain_text("年龄")
    assert not Response.objects.filter(form=data.public_form).exists()
    assert_fits(page)

    age.fill("45")
    submit.click()
    thanks = page.locator("#dj-public-form-thanks")
    expect(thanks).to_contain_text("提交成功，感谢您的来信。")
    expect(thanks).to_contain_text("我们会认真阅读每一条留言。")
    expect(thanks).to_be_focused()
    expect(form).to_be_hidden()
    assert_fits(page)
    [stored] = Response.objects.filter(form=data.public_form)
    assert "小区党群服务中心周末能否开放？" in stored.answers.values()
    assert stored.user_id is None and stored.submitted_at is None
    assert outside == []
    if HELP_SHOTS:
        _save_help_shots(tmp_path, ["15-public-form.png"])


def _save_help_shots(tmp_path, names):
    from pathlib import Path

    from cms.bootstrap.management.commands.help_screenshots import optimise_png

    for name in names:
        (Path(HELP_SHOTS) / name).write_bytes(optimise_png((tmp_path / name).read_bytes()))


def test_anonymous_peer_review_with_hostile_texts_upload_and_a_lost_answer(
    forms_site, live_server, new_context, outside_requests, settings
):
    """民主评议 as an anonymous form: every editor text (payloads from tests/hostile.py) shows
    as text; the peer review wants a grade for everyone; an attachment is checked before it
    is sent and shows its progress; and a submit whose answer the phone never receives is
    retried with the same submission_key, so the server keeps one response."""
    from playwright.sync_api import expect

    from cms.accounts.models import MemberStatus
    from cms.feedback.models import Participation, Response
    from tests.factories import PASSWORD, FeedbackFormFactory, MembershipFactory
    from tests.hostile import PAYLOADS, marker

    settings.FEEDBACK_FILE_MAX_BYTES = 2048
    data = forms_site
    branch = data.member.organisation
    for username, given in (("peer_a", "甲"), ("peer_b", "乙")):
        MembershipFactory(
            user__username=username,
            user__last_name="孙",
            user__first_name=given,
            user__organisation=branch,
            status=MemberStatus.FULL,
        )
    hostile = PAYLOADS[:10]
    form = FeedbackFormFactory(
        title="2026年度民主评议党员",
        slug="review-2026",
        kind="evaluation",
        anonymous=True,
        audience_units=[branch],
        thank_you_text=PAYLOADS[11],
        fields=[{"label": "民主评议", "field_type": "peer_review", "required": True}]
        + [
            {
                "label": f"{payload}问题{index}",
                "field_type": "radio",
                "required": False,
                "help_text": payload,
                "choices": f"{payload}\n其他",
            }
            for index, payload in enumerate(hostile)
        ]
        + [{"label": "书面材料", "field_type": "file", "required": False}],
    )

    base = live_server.url
    context, page, outside = phone(new_context, outside_requests, base)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base}/member/form/?id={form.pk}")
    page.get_by_label("用户名").fill("member1")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.dj-login").get_by_role("button", name="登录").click()
    expect(page.locator("h1")).to_have_text("2026年度民主评议党员")
    expect(page.locator(".dj-forms-notice--anonymous")).to_contain_text("您的答案不会与您的姓名关联")

    # Editor texts are text: labels, help texts and choices read exactly as typed.
    questions = page.locator("fieldset.dj-forms-field--radio")
    expect(questions).to_have_count(len(hostile))
    for index, payload in enumerate(hostile):
        question = questions.nth(index)
        assert question.locator("legend").text_content().startswith(f"{payload}问题{index}"), marker(payload)
        assert question.locator(".dj-forms-help").text_content() == payload, marker(payload)
        assert question.locator(".dj-forms-choice label").first.text_content() == payload, marker(payload)
    assert page.locator(".dj-forms-form").locator("script, img, svg, iframe, a[href^=javascript]").count() == 0

    # The attachment: the wrong type and too large are refused on the phone, a good one uploads.
    upload = page.get_by_label("书面材料")
    upload.set_input_files({"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" * 10})
    files = page.locator(".dj-forms-field--file")
    expect(files.locator(".dj-form__error")).to_contain_text("不支持这种文件格式")
    upload.set_input_files({"name": "big.txt", "mimeType": "text/plain", "buffer": b"x" * 4096})
    expect(files.locator(".dj-form__error")).to_contain_text("文件过大")
    upload.set_input_files({"name": "心得.txt", "mimeType": "text/plain", "buffer": "学习心得".encode()})
    expect(files.locator(".dj-forms-upload__current")).to_contain_text("已上传：心得.txt")
    expect(files.locator(".dj-form__error")).to_be_empty()

    # The peer review: one fieldset per person, a grade for each before it can be sent.
    review = page.get_by_role("group", name="民主评议")
    people = review.locator("fieldset.dj-forms-person")
    expect(people).to_have_count(2)
    people.nth(0).get_by_label("优秀", exact=True).check()
    page.get_by_role("button", name="提交问卷").click()
    expect(review.locator(".dj-form__error")).to_contain_text("还有 1 位未评")
    expect(people.nth(1).get_by_label("优秀", exact=True)).to_be_focused()
    people.nth(1).get_by_label("合格", exact=True).check()
    people.nth(1).get_by_label("对孙乙的评议意见（选填）").fill("工作认真。")

    # The answer is lost on the way back: the server has it, the phone sees a network error.
    keys = []

    def lose_answer(route):
        keys.append(route.request.post_data_json["submission_key"])
        route.fetch()  # the server stores it …
        route.abort()  # … and the phone never hears

    page.route("**/api/member/forms/*/submit/", lose_answer)
    page.get_by_role("button", name="提交问卷").click()
    expect(page.locator(".dj-forms-summary")).to_contain_text("问卷尚未确认提交")
    page.unroute("**/api/member/forms/*/submit/")
    page.route(
        "**/api/member/forms/*/submit/",
        lambda route: (keys.append(route.request.post_data_json["submission_key"]), route.continue_()),
    )
    page.get_by_role("button", name="提交问卷").click()
    expect(page.locator(".dj-forms-thanks")).to_contain_text("提交成功")
    assert len(keys) == 2 and keys[0] == keys[1]
    expect(page.get_by_role("button", name="修改答卷")).to_have_count(0)  # anonymous: not changeable
    assert (
        " ".join(page.locator(".dj-forms-thanks").text_content().split()).count(" ".join(PAYLOADS[11].split())[:20])
        == 1
    )
    assert Participation.objects.filter(form=form, user=data.member).count() == 1
    [stored] = Response.objects.filter(form=form)
    assert stored.user_id is None
    review_answer = next(v for v in stored.answers.values() if isinstance(v, dict))
    assert sorted(entry["grade"] for entry in review_answer.values()) == ["优秀", "合格"]
    assert dialogs == [] and outside == []
    assert_fits(page)
