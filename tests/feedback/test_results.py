"""问卷结果 in the admin: scope (a secretary sees their own units' people only), anonymity
(counts and summaries, never names next to answers), summaries and the audited export."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cms.accounts.models import MemberStatus
from cms.audit.models import AuditEntry
from cms.feedback import services
from cms.feedback.results import words_of
from tests.factories import PASSWORD, FeedbackFormFactory, UserFactory
from tests.feedback.conftest import key, member, names_of

QUESTIONS = [
    {"label": "满意度", "field_type": "radio", "choices": "满意\n一般\n不满意"},
    {"label": "评分", "field_type": "rating"},
    {"label": "意见", "field_type": "multiline", "required": False},
]


#: 理论 three times in the frequent-words list of 意见.
THEORY_3 = '<span class="dj-words__word">理论</span><span class="dj-words__count">3 次</span>'


def admin_client(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def world(people, org):
    """Two members answer in 第一党支部, one in 第二党支部; one in each has not answered."""
    first_b = member(org.first, MemberStatus.FULL, username="m1b", last_name="赵", first_name="未填")
    second_a = member(org.second, MemberStatus.FULL, username="m2a", last_name="钱", first_name="二支")
    member(org.second, MemberStatus.FULL, username="m2b", last_name="孙", first_name="未填二")
    named = FeedbackFormFactory(title="实名满意度", fields=QUESTIONS)
    anonymous = FeedbackFormFactory(title="匿名测评", anonymous=True, fields=QUESTIONS)
    first_only = FeedbackFormFactory(title="一支部匿名", anonymous=True, audience_units=[org.first], fields=QUESTIONS)
    for form in (named, anonymous, first_only):
        n = names_of(form)
        services.submit(
            people["in_audience"],
            form,
            {n["满意度"]: "满意", n["评分"]: 5, n["意见"]: "加强理论学习，理论学习要常态化"},
            key(),
        )
        services.submit(
            people["secretary"],
            form,
            {n["满意度"]: "一般", n["评分"]: 3, n["意见"]: "<script>alert(1)</script>理论学习"},
            key(),
        )
        if form is not first_only:
            services.submit(second_a, form, {n["满意度"]: "不满意", n["评分"]: 1}, key())
    return {**people, "named": named, "anon": anonymous, "first_only": first_only, "first_b": first_b}


def page(client, world, key_, user):
    response = admin_client(client, world[user]).get(reverse("feedback_form_results", args=[world[key_].pk]))
    return response, response.content.decode()


def test_the_secretary_sees_their_branch_only_with_who_has_not_answered(client, world):
    response, html = page(client, world, "named", "secretary")

    assert response.status_code == 200
    assert "第一党支部" in html and "第二党支部" not in html
    assert "赵未填" in html  # 第一党支部, not answered
    assert "孙未填二" not in html and "钱二支" not in html  # another branch's people
    assert "张三" in html and "李书记" in html  # their individual answers
    assert "&lt;script&gt;" in html and "<script>alert(1)" not in html


def test_the_administrator_sees_every_unit(client, world):
    response, html = page(client, world, "named", "admin")

    assert "第一党支部" in html and "第二党支部" in html and "孙未填二" in html and "钱二支" in html


def test_an_anonymous_form_shows_counts_and_summaries_but_no_names(client, world):
    response, html = page(client, world, "anon", "admin")

    assert response.status_code == 200
    assert "填写率" in html and THEORY_3 in html
    for name in ("张三", "李书记", "钱二支", "赵未填", "孙未填二"):
        assert name not in html
    assert "个人答卷" not in html


def test_anonymous_answers_reach_a_secretary_only_when_the_whole_audience_is_theirs(client, world):
    _, everyone_form = page(client, world, "anon", "secretary")
    _, own_form = page(client, world, "first_only", "secretary")

    assert "不向您显示答案汇总" in everyone_form and "高频词" not in everyone_form
    assert THEORY_3 in own_form and "张三" not in own_form


def test_rates_and_choices_are_drawn_as_bars_without_inline_styles(client, world):
    _, html = page(client, world, "named", "secretary")

    main = html[html.index("<main") : html.index("</main>")]
    rate_bar = '<span class="dj-bar dj-bar--rate" aria-hidden="true"><span class="dj-bar__fill dj-bar__fill--p{}">'
    # 第一党支部: 2 of its 3 answered (the summary's bar and the unit's).
    assert "2/3" in main and "66.6%" in main and main.count(rate_bar.format(65)) == 2
    # 满意: 1 of the 2 who answered in the scope; 不满意 (the other branch's answer): none.
    assert re.search(
        r'<th scope="row">满意</th><td class="dj-num">1</td><td class="dj-num">50%</td>\s*'
        r'<td class="dj-chart__bar"><span class="dj-bar" aria-hidden="true">'
        r'<span class="dj-bar__fill dj-bar__fill--p50">',
        main,
    )
    assert re.search(
        r'<th scope="row">不满意</th><td class="dj-num">0</td><td class="dj-num">0%</td>\s*'
        r'<td class="dj-chart__bar"><span class="dj-bar" aria-hidden="true">'
        r'<span class="dj-bar__fill"></span>',
        main,
    )
    # The rating: (5 + 3) / 2 out of 5.
    assert re.search(r'平均 4.0 分 .*?<span class="dj-bar__fill dj-bar__fill--p80">', main, re.S)
    assert "style=" not in main  # widths from classes, not inline styles


@pytest.mark.parametrize(
    "part, whole, step, label",
    [
        (0, 3, 0, "0%"),
        (1, 3, 35, "33.3%"),
        (2, 3, 65, "66.6%"),
        (3, 3, 100, "100%"),
        (3, 4, 75, "75%"),
        (1, 1000, 5, "0.1%"),  # something never draws as nothing
        (9999, 10000, 95, "99.9%"),  # nor almost everyone as everyone
        (1, 0, 0, "—"),
    ],
)
def test_bar_steps_and_percentages(part, whole, step, label):
    from cms.feedback.results import bar_step, percent_label

    assert (bar_step(part, whole), percent_label(part, whole)) == (step, label)


def test_summaries_count_choices_and_average_ratings(world):
    from cms.accounts.selectors import scope_of
    from cms.feedback.results import form_results

    found = form_results(world["named"], scope_of(world["admin"]))

    [choice, rating, text] = found.questions
    assert choice.counts == [("满意", 1), ("一般", 1), ("不满意", 1)]
    assert rating.average == 3.0 and rating.counts[4] == ("5", 1)
    assert text.words[:2] == [("理论", 3), ("学习", 3)]  # segmented with jieba
    assert (found.audience, found.answered) == (7, 3)  # 管理员 has no Party record


def test_another_branch_secretary_cannot_open_a_form_for_the_first_branch(client, world):
    response, _ = page(client, world, "first_only", "other_secretary")

    assert response.status_code == 404


def test_people_without_the_results_right_are_sent_away(client, world, editor):
    response = admin_client(client, editor).get(reverse("feedback_results"))

    assert response.status_code == 302


def test_the_overview_lists_forms_reaching_my_scope(client, world):
    html = admin_client(client, world["other_secretary"]).get(reverse("feedback_results")).content.decode()

    assert "实名满意度" in html and "匿名测评" in html and "一支部匿名" not in html


def test_the_export_is_audited_and_anonymous_rows_carry_no_person(client, world):
    admin_client(client, world["admin"])

    named = client.get(reverse("feedback_form_results_export", args=[world["named"].pk]))
    anonymous = client.get(reverse("feedback_form_results_export", args=[world["anon"].pk]))

    named_rows = list(load_workbook(io.BytesIO(named.content)).active.values)
    anonymous_rows = list(load_workbook(io.BytesIO(anonymous.content)).active.values)
    assert named_rows[0][:4] == ("姓名", "工号", "所在组织", "提交时间")
    assert {row[0] for row in named_rows[1:]} == {"张三", "李书记", "钱二支"}
    assert anonymous_rows[0][0] == "提交日期" and len(anonymous_rows) == 4
    flat = str(anonymous_rows)
    assert not any(name in flat for name in ("张三", "李书记", "钱二支", "m1", "sec1"))
    assert AuditEntry.objects.filter(action="data.form_results_exported").count() == 2


def test_a_secretary_cannot_export_answers_they_may_not_read(client, world):
    response = admin_client(client, world["secretary"]).get(
        reverse("feedback_form_results_export", args=[world["anon"].pk])
    )

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="data.form_results_exported").exists()


def test_the_secretary_group_alone_grants_no_people(client, world, org):
    # In the 支部书记 group by hand, but not a serving secretary: scope is empty.
    from django.contrib.auth.models import Group

    user = UserFactory(username="fake-secretary")
    user.groups.add(Group.objects.get(name="支部书记"))

    response = admin_client(client, user).get(reverse("feedback_results"))

    assert response.status_code == 302  # the scope comes from the member record, not the group


def test_the_menu_item_is_for_results_readers_only(client, world, editor):
    overview = reverse("feedback_results")

    secretary_home = admin_client(client, world["secretary"]).get(reverse("wagtailadmin_home")).content.decode()
    editor_home = admin_client(client, editor).get(reverse("wagtailadmin_home")).content.decode()

    assert f'"url": "{overview}"' in secretary_home
    assert f'"url": "{overview}"' not in editor_home
    assert '"url": "/admin/forms/"' not in editor_home  # Wagtail's own 表单 list is hidden


def test_hostile_labels_choices_and_answers_are_text_in_the_charts(client, world):
    """Editor texts (question, choices) and a member's text answer reach the charts as text."""
    from bs4 import BeautifulSoup

    from tests.hostile import PAYLOADS, marker, unsafe_markup

    hostile = [p for p in PAYLOADS[:18] if "," not in p and "，" not in p and "\n" not in p][:6]
    form = FeedbackFormFactory(
        title="恶意文本",
        fields=[
            {"label": f"{hostile[0]}问题", "field_type": "radio", "choices": "\n".join(hostile[1:])},
            {"label": "意见", "field_type": "multiline", "required": False},
        ],
    )
    n = names_of(form)
    services.submit(
        world["in_audience"], form, {n[f"{hostile[0]}问题"]: hostile[1], n["意见"]: " ".join(hostile)}, key()
    )

    response = admin_client(client, world["secretary"]).get(reverse("feedback_form_results", args=[form.pk]))
    html = response.content.decode()
    # From the form's own parts on (the admin's header before them draws its icons as <svg>).
    results = html[html.index("统计范围") : html.index("</main>")]

    assert unsafe_markup(results, allowed_scripts=set(), where="问卷结果") == []
    soup = BeautifulSoup(results, "html.parser")
    chart = soup.select_one("table.dj-chart")
    assert chart.find_parent("section")["aria-label"] == f"{hostile[0]}问题", marker(hostile[0])
    rows = {row.th.get_text(): row.select_one("td.dj-num").get_text() for row in chart.select("tbody tr")}
    assert rows == {payload: ("1" if payload == hostile[1] else "0") for payload in hostile[1:]}


def test_frequent_words_keep_the_party_terms_whole():
    words = dict(words_of(["落实三会一课制度", "三会一课要常态化", "开展主题党日"]))
    assert words["三会一课"] == 2 and words["主题党日"] == 1
    assert "三会" not in words and "一课" not in words
