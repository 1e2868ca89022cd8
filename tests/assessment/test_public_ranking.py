"""竞赛成绩公布 (ContestResultPage): a contest's ranking on the public site, only when the
contest's editor chose so and the contest has ended; names masked on request; attempts left
open past their deadline ranked; and the page exported again, without names, when the
choice is taken back."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.accounts.models import BranchRole, MemberStatus
from cms.assessment import publication, services
from cms.assessment.models import Attempt, ContestResultPage, QuizKind
from cms.publishing.models import ContentChange
from tests.assessment.conftest import API, client_for, hand_in, key, member, shown_key
from tests.assessment.factories import ContestResultPageFactory, QuestionFactory, QuizFactory
from tests.factories import OrganisationUnitFactory, SectionPageFactory, rich_body
from tests.hostile import PAYLOADS, marker, shown, storable, unsafe_markup

NAMES = {"zhang": "张三丰", "li": "李四海", "wang": "王五岳", "zhao": "赵六合"}


@pytest.fixture
def section(home):
    return SectionPageFactory(parent=home, title="竞赛成绩", slug="results")


@pytest.fixture
def question(root):
    return QuestionFactory()


def make_contest(org, question, *, ended=True, **fields):
    """A contest of one question for the whole committee, 30 minutes from a common start
    (ended an hour and a half ago, or running for five more minutes)."""
    starts = timezone.now() - (datetime.timedelta(hours=2) if ended else datetime.timedelta(minutes=25))
    values = {"ranking_members": True, "ranking_public": True, "ranking_hide_names": False, **fields}
    return QuizFactory(
        title="党史知识竞赛",
        kind=QuizKind.CONTEST,
        questions=[question],
        audience_units=[org.committee],
        starts_at=starts,
        time_limit_minutes=30,
        **values,
    )


def sit(person, contest, question, *, right: bool, minutes: int | None):
    """Sit the contest through the services: answer at once, submit after ``minutes``
    (None: the tab is closed and nothing is ever submitted)."""
    starts = contest.starts_at
    attempt, _ = services.start_attempt(person, contest, now=starts + datetime.timedelta(seconds=30))
    chosen = shown_key(attempt, question, "B" if right else "A")
    services.save_answer(person, attempt.pk, question.pk, [chosen], now=starts + datetime.timedelta(minutes=1))
    if minutes is not None:
        hand_in(person, attempt.pk, key(), now=starts + datetime.timedelta(minutes=minutes))
    return attempt


@pytest.fixture
def people(org):
    units = {"zhang": org.first, "li": org.first, "wang": org.second, "zhao": org.second}
    return {
        slug: member(
            units[slug], MemberStatus.FULL, username=slug, last_name=NAMES[slug][0], first_name=NAMES[slug][1:]
        )
        for slug in NAMES
    }


@pytest.fixture
def sat(org, question, people):
    """An ended contest: 李 right in 5 minutes, 张 right in 10, 王 wrong in 3, and 赵 right
    but left the tab open (never submitted)."""
    contest = make_contest(org, question)
    for slug, right, minutes in (("li", True, 5), ("zhang", True, 10), ("wang", False, 3), ("zhao", True, None)):
        sit(people[slug], contest, question, right=right, minutes=minutes)
    return contest


def _content(site_paths, path="results/contest.md") -> str:
    return (site_paths["CONTENT_DIR"] / path).read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ rules


def test_publishing_is_refused_unless_the_contest_ranking_is_public(org, question, section):
    contest = make_contest(org, question, ranking_public=False)
    page = ContestResultPageFactory(parent=section, contest=contest, publish=False)  # a draft may be saved
    with pytest.raises(ValidationError, match="该竞赛未设置在公开网站公布排名"):
        page.save_revision().publish()
    assert not ContestResultPage.objects.get(pk=page.pk).live


def test_publishing_is_refused_before_the_contest_ends(org, question, section):
    contest = make_contest(org, question, ended=False)
    page = ContestResultPageFactory(parent=section, contest=contest, publish=False)
    with pytest.raises(ValidationError, match="竞赛尚未结束，结束后才能公布排名"):
        page.save_revision().publish()
    # Ended ten seconds ago, but someone may still submit in time (the submit grace).
    contest.starts_at = timezone.now() - datetime.timedelta(minutes=30, seconds=10)
    contest.save_revision().publish()
    with pytest.raises(ValidationError, match="竞赛尚未结束"):
        page.save_revision().publish()
    contest.starts_at = timezone.now() - datetime.timedelta(minutes=31)
    contest.save_revision().publish()
    page.save_revision().publish()
    assert ContestResultPage.objects.get(pk=page.pk).live


def _edit_data(contest, **overrides):
    data = {
        "title": "党史知识竞赛成绩公布",
        "slug": "contest",
        "contest": str(contest.pk),
        "ranking_limit": "50",
        "body": streamfield([("paragraph", rich_text("<p>祝贺获奖同志。</p>"))]),
        "date": "2026-12-01",
        "summary": "",
        "tags": "",
        "issuing_unit": "",
    }
    data.update(overrides)
    return nested_form_data(data)


def test_the_editor_form_refuses_submitting_a_ranking_that_may_not_be_public(org, question, section, editor, client):
    hidden = make_contest(org, question, ranking_public=False)
    running = make_contest(org, question, ended=False)
    open_contest = make_contest(org, question)
    plain_quiz = QuizFactory(title="普通测验LISTED", questions=[question])
    client.force_login(editor)
    add = f"/admin/pages/add/assessment/contestresultpage/{section.pk}/"

    form = client.get(add).content.decode()
    assert "党史知识竞赛" in form and "普通测验LISTED" not in form  # only contests to choose from

    refused = client.post(add, {**_edit_data(hidden), "action-submit": "1"})
    assert refused.status_code == 200 and "该竞赛未设置在公开网站公布排名" in refused.content.decode()
    refused = client.post(add, {**_edit_data(running), "action-submit": "1"})
    assert refused.status_code == 200 and "竞赛尚未结束，结束后才能公布排名" in refused.content.decode()
    not_a_contest = client.post(add, {**_edit_data(plain_quiz), "action-submit": "1"})
    assert not_a_contest.status_code == 200
    assert not ContestResultPage.objects.exists()

    draft = client.post(add, _edit_data(hidden))  # a draft may be prepared before the end
    assert draft.status_code == 302, draft.context["form"].errors
    page = ContestResultPage.objects.get()
    submitted = client.post(f"/admin/pages/{page.pk}/edit/", {**_edit_data(open_contest), "action-submit": "1"})
    assert submitted.status_code == 302, submitted.content.decode()[:2000]
    assert WorkflowState.objects.get(object_id=str(page.pk)).status == WorkflowState.STATUS_IN_PROGRESS


# ------------------------------------------------------------------------------ the ranking


def test_the_ranking_counts_closed_tabs_masks_names_and_keeps_the_top_places(sat, section):
    rows = publication.ranking_markdown(sat, None).splitlines()
    assert rows[2:4] == ["| 名次 | 姓名 | 单位 | 得分 | 用时 |", "|---|---|---|---|---|"]
    # 赵's open attempt is graded (late, from the answer saved in time) and ranked with its
    # time counted up to the deadline.
    assert rows[4:] == [
        "| 1 | 李四海 | 第一党支部 | 100 | 4分30秒 |",
        "| 2 | 张三丰 | 第一党支部 | 100 | 9分30秒 |",
        "| 3 | 赵六合 | 第二党支部 | 100 | 29分30秒 |",
        "| 4 | 王五岳 | 第二党支部 | 0 | 2分30秒 |",
    ]
    assert Attempt.objects.get(user__username="zhao").late

    sat.ranking_hide_names = True
    sat.save_revision().publish()
    masked = publication.ranking_markdown(sat, 2)
    assert "**成绩排名（前 2 名）**" in masked
    assert "| 1 | 李\\* | 第一党支部 | 100 | 4分30秒 |" in masked and "| 2 | 张\\* |" in masked
    assert not any(name in masked for name in NAMES.values()) and "赵" not in masked


def test_the_member_area_and_the_secretary_rank_closed_tabs_too(sat, people, org):
    body = client_for(people["zhang"]).get(API + f"contests/{sat.pk}/ranking/").json()
    assert [e["name"] for e in body["entries"]] == ["李四海", "张三丰", "赵六合", "王五岳"]


def test_the_secretary_report_grades_closed_tabs_before_ranking(org, question, people, client):
    contest = make_contest(org, question)
    sit(people["zhang"], contest, question, right=True, minutes=None)
    secretary = member(org.first, MemberStatus.FULL, BranchRole.SECRETARY, username="shuji")
    client.force_login(secretary)
    report = client.get(f"/admin/assessment/reports/{contest.pk}/").content.decode()
    assert "张三丰" in report and Attempt.objects.get(user=people["zhang"]).submitted


def test_export_appends_the_table_with_hostile_names_escaped(org, question, section, site_paths, publish, public_site):
    contest = make_contest(org, question)
    for number, raw in enumerate(PAYLOADS):
        payload = storable(raw)
        unit = OrganisationUnitFactory(name=payload[:100], parent=org.committee)
        person = member(unit, MemberStatus.FULL, username=f"xss{number}", last_name=payload[:150], first_name="")
        Attempt.objects.create(
            user=person,
            quiz=contest,
            unit=unit,
            items=[{"q": question.pk, "t": "single", "o": ["A", "B"], "b": 0}],
            started_at=contest.starts_at,
            deadline=contest.starts_at + datetime.timedelta(minutes=30),
            submitted_at=contest.starts_at + datetime.timedelta(minutes=10),
            graded_at=contest.starts_at + datetime.timedelta(minutes=10),
            score=100 - number,
            seconds_used=600,
        )
    ContestResultPageFactory(
        parent=section, slug="contest", contest=contest, ranking_limit=None, body=rich_body("祝贺获奖同志。")
    )
    publish()

    text = _content(site_paths)
    assert "type: contestresult" in text and "type_label: 竞赛成绩公布" in text
    body = text.split("---\n", 2)[2]
    assert body.index("祝贺获奖同志。") < body.index("| 名次 | 姓名 | 单位 | 得分 | 用时 |")
    assert body.count("\n| ") == len(PAYLOADS) + 1  # header and one row per person: no cell broke a row

    page = public_site.text("results/contest/index.html")
    ours = {path.name for path in (public_site.root / "assets" / "javascripts").iterdir() if path.suffix == ".js"}
    problems = unsafe_markup(page, allowed_scripts=ours, where="results/contest", content="article.md-content__inner")
    assert not problems, "\n".join(problems[:20])
    from bs4 import BeautifulSoup

    cells = [" ".join(td.get_text(" ").split()) for td in BeautifulSoup(page, "html.parser").select("table td")]
    for raw in PAYLOADS:
        if marker(raw) != raw:
            assert any(shown(storable(raw))[:150].strip() == cell for cell in cells), marker(raw)


def test_taking_the_public_ranking_back_exports_the_page_again_without_names(
    sat, section, site_paths, publish, public_site
):
    page = ContestResultPageFactory(parent=section, slug="contest", contest=sat)
    publish()
    assert "张三丰" in _content(site_paths) and "张三丰" in public_site.text("results/contest/index.html")

    def pending():
        return ContentChange.objects.filter(page_id=page.pk, processed_at__isnull=True)

    sat.ranking_public = False
    sat.save_revision()  # a draft of the contest changes nothing public
    assert not pending().exists()
    sat.save_revision().publish()
    assert pending().get().action == ContentChange.Action.PUBLISH and pending().get().revision is None
    publish()
    text = _content(site_paths)
    assert "排名未公开。" in text and not any(name in text for name in NAMES.values())
    site = public_site.text("results/contest/index.html")
    assert "排名未公开" in site and not any(name in site for name in NAMES.values())

    sat.ranking_public = True
    sat.ranking_hide_names = True
    sat.save_revision().publish()
    publish()
    text = _content(site_paths)
    assert "张\\*" in text and not any(name in text for name in NAMES.values())

    sat.unpublish()
    assert pending().exists()
    publish()
    assert "排名未公开。" in _content(site_paths)


def test_deleting_the_contest_leaves_a_notice(sat, section, site_paths):
    from cms.publishing.exporter import Exporter

    page = ContestResultPageFactory(parent=section, slug="contest", contest=sat)
    Exporter().sync()
    assert "张三丰" in _content(site_paths)
    before = ContentChange.objects.filter(page_id=page.pk).count()
    sat.delete()
    assert ContentChange.objects.filter(page_id=page.pk).count() == before + 1
    page.refresh_from_db()
    assert page.contest is None and page.live
    Exporter().sync({page.pk})
    text = _content(site_paths)
    assert "排名未公开。" in text and "张三丰" not in text
