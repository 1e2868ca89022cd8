"""问卷结果 as a 支部书记 sees it: in the admin, on a phone (375 px).

Members of two branches answer a named form and an anonymous one (through the services:
the member side has its own browser tests). The first branch's secretary logs in, opens
问卷结果 from the menu and finds their branch's response rate with a bar, who has not
answered, a bar chart of the choice question with its counts, the rating average and the
words of the text answers; nobody of the other branch. The anonymous form shows the same
counts and charts and no name anywhere.
"""

import os
import uuid
from types import SimpleNamespace

import pytest

from tests.e2e.conftest import TIMEOUT_MS, assert_fits

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 375, "height": 812}, "locale": "zh-CN", "device_scale_factor": 2}
# DJ_HELP_SHOTS=site/pages/help/images refreshes the 使用指南's screenshot of this page
# (as tests/e2e/test_feedback_forms.py does for the member's pages).
HELP_SHOTS = os.environ.get("DJ_HELP_SHOTS")

QUESTIONS = [
    {"label": "对支部工作的总体评价", "field_type": "radio", "choices": "很好\n较好\n一般\n较差"},
    {"label": "对组织生活的满意度", "field_type": "rating"},
    {"label": "意见和建议", "field_type": "multiline", "required": False},
]


@pytest.fixture
def results_site(public_home):
    """第一党支部: the secretary and three members; 第二党支部: two members. A named form for
    both branches and an anonymous one for the first branch, answered through the services."""
    from cms.accounts.models import BranchRole, MemberStatus
    from cms.feedback import services
    from tests.factories import FeedbackFormFactory, MembershipFactory, OrganisationUnitFactory

    first = OrganisationUnitFactory(name="第一党支部")
    second = OrganisationUnitFactory(name="第二党支部")

    def person(unit, username, last, given, role=BranchRole.MEMBER):
        return MembershipFactory(
            user__username=username,
            user__last_name=last,
            user__first_name=given,
            user__organisation=unit,
            status=MemberStatus.FULL,
            role=role,
        ).user

    secretary = person(first, "secretary1", "赵", "书记", BranchRole.SECRETARY)
    qian, sun, li = (
        person(first, "member1", "钱", "学员"),
        person(first, "member2", "孙", "红"),
        person(first, "member3", "李", "未填"),
    )
    zhou, wu = person(second, "member4", "周", "二支"), person(second, "member5", "吴", "未填二")

    named = FeedbackFormFactory(
        title="2026年度支部工作满意度调查",
        slug="survey-2026",
        kind="satisfaction",
        audience_units=[first, second],
        fields=QUESTIONS,
    )
    anonymous = FeedbackFormFactory(
        title="第一党支部匿名测评",
        slug="anonymous-2026",
        kind="satisfaction",
        anonymous=True,
        audience_units=[first],
        fields=QUESTIONS,
    )

    def answer(user, form, choice, rating, text=None):
        names = {field.label: field.clean_name for field in form.form_fields.all()}
        answers = {names["对支部工作的总体评价"]: choice, names["对组织生活的满意度"]: rating}
        if text:
            answers[names["意见和建议"]] = text
        services.submit(user, form, answers, str(uuid.uuid4()))

    # 第一党支部: 3 of its 4 people answer the named form (the secretary is in the audience too).
    answer(qian, named, "很好", 5, "希望多组织理论学习，理论学习要联系实际。")
    answer(sun, named, "较好", 4, "建议组织生活会提前通知。")
    answer(secretary, named, "很好", 4)
    # 第二党支部: one answers, with words that must not reach the first branch's secretary.
    answer(zhou, named, "较差", 1, "食堂伙食需要改进。")
    # The anonymous form: two of the first branch.
    answer(qian, anonymous, "一般", 3, "希望减少形式主义。")
    answer(li, anonymous, "较好", 4, "形式主义要少一些。")
    return SimpleNamespace(
        secretary=secretary,
        named=named,
        anonymous=anonymous,
        not_answered=li,
        answered=[qian, sun],
        other_branch=[zhou, wu],
    )


def _admin_on_phone(new_context, base, user):
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    context = new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base}/admin/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")
    # 问卷结果 from the menu, as a secretary finds it on a phone: open the sidebar first.
    page.get_by_role("button", name="切换侧边栏").click()
    page.get_by_role("link", name="问卷结果").click()
    page.wait_for_url(f"{base}/admin/feedback/results/")
    expect(page.locator("h1")).to_have_text("问卷结果")
    return page


def _width_percent(bar) -> float:
    """How wide the drawn bar is against its track: what the eye reads."""
    return bar.evaluate("el => el.getBoundingClientRect().width / el.parentElement.getBoundingClientRect().width * 100")


def test_the_secretary_sees_the_response_rate_and_the_charts_of_their_branch(
    results_site, live_server, new_context, tmp_path
):
    from playwright.sync_api import expect

    data = results_site
    base = live_server.url
    page = _admin_on_phone(new_context, base, data.secretary)

    # The list: both forms, the named one with the branch's rate only (3 of 4, not 4 of 6).
    row = page.locator("tr", has_text=data.named.title)
    expect(row.locator("td[data-label='已填/应填']")).to_have_text("3/4")
    expect(row.locator("td[data-label=填写率]")).to_have_text("75%")
    expect(page.locator("tr", has_text=data.anonymous.title)).to_contain_text("匿名问卷")
    assert_fits(page)
    row.get_by_role("link", name=data.named.title).click()
    page.wait_for_url(f"{base}/admin/feedback/results/{data.named.pk}/")
    expect(page.locator("h1")).to_have_text(data.named.title)

    # The response rate of the branch, as numbers and as a bar three quarters long.
    summary = page.get_by_label("填写统计")
    expect(summary).to_contain_text("3/4")
    expect(summary).to_contain_text("75%")
    units = page.get_by_role("table", name="各组织填写率")
    expect(units.locator("tbody tr")).to_have_count(1)
    unit = units.locator("tbody tr").first
    expect(unit.locator("td[data-label='已填/应填']")).to_have_text("3/4")
    expect(unit.locator("td[data-label=填写率]")).to_have_text("75%")
    assert 70 <= _width_percent(unit.locator(".dj-bar__fill")) <= 80
    expect(unit.locator("td[data-label=未填写人员]")).to_have_text(data.not_answered.display_name)

    # The choice question: a bar per choice with its count; the longest bar is 很好 (2 of 3).
    choice = page.get_by_role("region", name="对支部工作的总体评价")
    expect(choice).to_contain_text("3 人作答")
    bars = choice.get_by_role("table")
    expect(bars.locator("tbody tr")).to_have_count(4)
    good = bars.locator("tr", has_text="很好")
    expect(good.locator("td.dj-num").first).to_have_text("2")
    expect(good).to_contain_text("66.6%")
    assert 60 <= _width_percent(good.locator(".dj-bar__fill")) <= 70
    expect(bars.locator("tr", has_text="较好").locator("td.dj-num").first).to_have_text("1")
    expect(bars.locator("tr", has_text="较差").locator("td.dj-num").first).to_have_text("0")  # 第二党支部's
    assert _width_percent(bars.locator("tr", has_text="较差").locator(".dj-bar__fill")) == 0

    # The rating: its average out of 5 (5, 4, 4 in this branch), and the spread.
    rating = page.get_by_role("region", name="对组织生活的满意度")
    expect(rating.locator(".dj-average")).to_contain_text("4.33")
    expect(rating.locator(".dj-average")).to_contain_text("满分 5 分")
    expect(rating.locator("tr", has_text="4 分").locator("td.dj-num").first).to_have_text("2")

    # The text answers: the words they use most, with how often.
    words = page.get_by_role("region", name="意见和建议")
    expect(words.get_by_role("list", name="高频词")).to_contain_text("理论")
    expect(words.locator("li", has_text="理论")).to_contain_text("2 次")

    # Nobody of the other branch: not their names, not their answers' words.
    text = page.locator("main").inner_text()
    for person in data.other_branch:
        assert person.display_name not in text
    assert "第二党支部" not in text and "伙食" not in text
    # Named: the branch's answers one by one.
    for person in data.answered:
        expect(page.locator("details.dj-answer", has_text=person.display_name)).to_have_count(1)
    assert_fits(page)

    page.locator("h1").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "16-form-results.png"), full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})  # and on a desktop screen
    assert_fits(page)
    if HELP_SHOTS:
        from pathlib import Path

        from cms.bootstrap.management.commands.help_screenshots import optimise_png

        (Path(HELP_SHOTS) / "16-form-results.png").write_bytes(
            optimise_png((tmp_path / "16-form-results.png").read_bytes())
        )


def test_an_anonymous_form_shows_counts_and_charts_without_names(results_site, live_server, new_context):
    from playwright.sync_api import expect

    data = results_site
    base = live_server.url
    page = _admin_on_phone(new_context, base, data.secretary)
    page.get_by_role("link", name=data.anonymous.title).click()
    page.wait_for_url(f"{base}/admin/feedback/results/{data.anonymous.pk}/")

    expect(page.locator("main")).to_contain_text("匿名问卷")
    expect(page.get_by_label("填写统计")).to_contain_text("2/4")
    expect(page.get_by_label("填写统计")).to_contain_text("50%")
    unit = page.get_by_role("table", name="各组织填写率").locator("tbody tr").first
    expect(unit.locator("td[data-label='已填/应填']")).to_have_text("2/4")
    expect(unit.locator("td[data-label=未填写人员]")).to_have_count(0)  # who has not: not for anonymous forms

    choice = page.get_by_role("region", name="对支部工作的总体评价")
    expect(choice.locator("tr", has_text="一般").locator("td.dj-num").first).to_have_text("1")
    expect(choice.locator("tr", has_text="较好").locator("td.dj-num").first).to_have_text("1")
    expect(page.get_by_role("region", name="对组织生活的满意度").locator(".dj-average")).to_contain_text("3.5")
    expect(page.get_by_role("region", name="意见和建议").get_by_role("list", name="高频词")).to_contain_text("形式主义")

    # No name next to any answer, no answers one by one, nobody's name on the page at all.
    expect(page.locator("details.dj-answer")).to_have_count(0)
    text = page.locator("main").inner_text()
    for person in [data.secretary, data.not_answered, *data.answered, *data.other_branch]:
        assert person.display_name not in text, person.display_name
    assert "个人答卷" not in text
    assert_fits(page)
