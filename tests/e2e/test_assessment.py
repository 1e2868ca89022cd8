"""Browser test of 我的测试 as a member uses it: a phone in WeChat (375 px), the static site
built by the publishing pipeline, the real member API.

A member takes a required timed quiz one question per screen. Half-way the connection drops:
the page says the answer is kept on the phone; the upload fails once more, the page is
reloaded and resumes with the server's remaining time and the kept answer. Two answers are
wrong; the reply to the submit is lost and the retry after a reload counts once. The result
shows each answer with the correct one and its explanation, the mastery map puts the weak
knowledge point first, the 错题本 holds both questions; practising them (correctly) on two
different days empties it.
"""

import datetime
import re
import time
from types import SimpleNamespace

import pytest

from tests.e2e.conftest import assert_fits, phone
from tests.e2e.test_member_area import _log_in

pytestmark = pytest.mark.e2e

OFFLINE_TEXT = "网络已断开：答案已保存在本机，恢复网络后会自动上传。计时不会暂停。"


@pytest.fixture
def quiz_site(public_home, publish):
    from cms.accounts.models import MemberStatus
    from cms.assessment.answers import QuestionType
    from tests.assessment.factories import KnowledgePointFactory, QuestionFactory, QuizFactory
    from tests.factories import MembershipFactory, OrganisationUnitFactory

    branch = OrganisationUnitFactory(name="第一党支部")
    member = MembershipFactory(
        user__username="member1",
        user__last_name="钱",
        user__first_name="学员",
        user__organisation=branch,
        status=MemberStatus.FULL,
    ).user
    history = KnowledgePointFactory(name="党的历史")
    discipline = KnowledgePointFactory(name="党的纪律")
    founding = QuestionFactory(
        stem="中国共产党成立于哪一年？",
        knowledge_points=[history],
        explanation="1921年7月，中国共产党第一次全国代表大会召开。",
    )
    zunyi = QuestionFactory(
        type=QuestionType.TRUE_FALSE,
        stem="遵义会议是党的历史上一个生死攸关的转折点。",
        answer="正确",
        knowledge_points=[history],
        explanation="遵义会议挽救了党、挽救了红军。",
    )
    kinds = QuestionFactory(
        type=QuestionType.MULTIPLE,
        stem="党的纪律包括哪些？（多选）",
        option_a="政治纪律",
        option_b="组织纪律",
        option_c="廉洁纪律",
        option_d="娱乐纪律",
        answer="ABC",
        knowledge_points=[discipline],
        explanation="党的纪律包括政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律和生活纪律。",
    )
    penalty = QuestionFactory(
        type=QuestionType.FILL_BLANK,
        stem="党的纪律处分有警告、严重警告、撤销党内职务、留党察看和____五种。",
        answer="开除党籍",
        knowledge_points=[discipline],
        explanation="《中国共产党纪律处分条例》规定了五种党纪处分。",
    )
    quiz = QuizFactory(
        title="党章党规知识测验",
        intro="共 4 题，限时 10 分钟。",
        time_limit_minutes=10,
        required=True,
        allow_review=True,
        pass_mark=60,
        audience_units=[branch],
        questions=[founding, zunyi, kinds, penalty],
    )
    # A contest that ended two hours ago, its ranking published to the member area: the member
    # and a colleague answered everything right, the member faster.
    from django.utils import timezone

    from cms.assessment import services
    from cms.assessment.models import QuizKind
    from tests.assessment.conftest import key, shown_key

    started = timezone.now() - datetime.timedelta(hours=2)
    contest = QuizFactory(
        title="“学党史”知识竞赛",
        kind=QuizKind.CONTEST,
        starts_at=started,
        time_limit_minutes=15,
        ranking_members=True,
        audience_units=[branch],
        questions=[founding, zunyi],
    )
    colleague = MembershipFactory(
        user__username="member2",
        user__last_name="孙",
        user__first_name="同志",
        user__organisation=branch,
        status=MemberStatus.FULL,
    ).user
    for person, minutes in ((member, 3), (colleague, 5)):
        attempt, _ = services.start_attempt(person, contest, now=started + datetime.timedelta(minutes=1))
        at = started + datetime.timedelta(minutes=2)
        services.save_answer(person, attempt.pk, founding.pk, [shown_key(attempt, founding, "B")], now=at)
        services.save_answer(person, attempt.pk, zunyi.pk, ["A"], now=at)
        services.submit(person, attempt.pk, key(), now=started + datetime.timedelta(minutes=minutes))
    services.grade_submitted()
    publish()
    return SimpleNamespace(
        member=member, quiz=quiz, contest=contest, history=history, discipline=discipline, kinds=kinds, penalty=penalty
    )


def _answer_correctly(page, expect):
    """The practice screen's question, answered right whichever one it is."""
    stem = page.locator(".dj-quiz-question__stem").text_content()
    if "纪律处分" in stem:
        page.get_by_label("答案").fill("开除党籍")
        page.get_by_label("答案").press("Tab")
    else:
        for option in ("政治纪律", "组织纪律", "廉洁纪律"):
            page.get_by_label(option).check()
    expect(page.locator(".dj-quiz-save")).to_contain_text("答案已保存")


def _practise_notebook(page, expect, base):
    page.get_by_role("button", name="练一练错题").click()
    page.wait_for_url(re.compile(r"/member/quiz-attempt/\?id=\d+$"))
    expect(page.locator(".dj-quiz-progress")).to_contain_text("第 1 / 2 题")
    expect(page.locator(".dj-quiz-timer")).to_have_count(0)  # practice has no time limit
    _answer_correctly(page, expect)
    page.get_by_role("button", name="下一题").click()
    _answer_correctly(page, expect)
    page.get_by_role("button", name="交卷").click()
    page.get_by_role("button", name="确认交卷").click()
    page.wait_for_url(re.compile(r"/member/quiz-result/\?id=\d+$"))
    expect(page.locator(".dj-quiz-score__value")).to_have_text("100 分")
    page.goto(f"{base}/member/quiz-notebook/")


@pytest.fixture
def worker():
    """The worker's pass (``manage.py worker``: hand-ins graded, then the queue) every 0.3 s in
    a thread, as the command's loop does (the command itself installs signal handlers, which a
    thread cannot)."""
    import threading

    from django.db import connections

    from cms.publishing.management.commands.worker import run_pass

    stop = threading.Event()

    def loop():
        try:
            while not stop.wait(0.3):
                run_pass("e2e-assessment")
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop)
    thread.start()
    yield
    stop.set()
    thread.join(60)


def test_member_takes_a_timed_quiz_through_a_lost_connection_and_drills_the_weak_point(
    quiz_site, worker, live_server, new_context, outside_requests, tmp_path
):
    from django.utils import timezone
    from playwright.sync_api import expect

    from cms.assessment.models import Attempt, AttemptAnswer, NotebookEntry

    base = live_server.url
    data = quiz_site
    context, page, outside = phone(new_context, outside_requests, base)

    # 1. 我的测试: the required quiz waits under 进行中, and the tab says so.
    page.goto(f"{base}/member/quizzes/")
    _log_in(page)
    expect(page.locator("h1")).to_have_text("我的测试")
    tab = page.locator("[data-dj-nav-view=quizzes]")
    expect(tab).to_have_attribute("aria-current", "page")
    expect(tab.locator("[data-dj-nav-badge]")).to_have_text("1")
    group = page.locator("[data-group=open]")
    expect(group.locator("h2")).to_have_text("进行中（1）")
    expect(group.locator(".dj-quiz-card")).to_contain_text("4 题 · 限时 10 分钟")
    expect(page.get_by_role("button", name="开始每日一练")).to_be_visible()
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "q1-list.png"))

    # 2. The quiz, then its first question with the timer counting down from 10 minutes.
    # The quiz area's script arrives after the session reply (a slow phone network): the page
    # still shows the quiz, not the member home the core would fall back to.
    def arrive_late(route):
        time.sleep(0.5)
        route.continue_()

    page.route("**/dj-quizzes.js*", arrive_late)
    group.get_by_role("link", name="党章党规知识测验").click()
    page.wait_for_url(f"{base}/member/quiz/?id={data.quiz.pk}")
    expect(page.locator(".dj-quiz-facts")).to_contain_text("10 分钟（开始后计时，离开页面不暂停）")
    page.unroute("**/dj-quizzes.js*")
    page.get_by_role("button", name="开始作答").click()
    page.wait_for_url(re.compile(r"/member/quiz-attempt/\?id=\d+$"))
    attempt = Attempt.objects.get(user=data.member, quiz=data.quiz)
    expect(page.locator(".dj-quiz-timer__value")).to_have_text(re.compile(r"^(10:00|09:5\d)$"))
    expect(page.locator(".dj-quiz-progress")).to_have_text("第 1 / 4 题 · 已答 0 题")
    # One fieldset per question, named by its legend; every option a ≥ 44 px target.
    question = page.get_by_role("group", name=re.compile("中国共产党成立于哪一年"))
    expect(question).to_be_visible()
    for box in question.locator(".dj-quiz-option").all():
        assert box.bounding_box()["height"] >= 44
    question.get_by_label("1921年").check()
    expect(page.locator(".dj-quiz-save")).to_contain_text("答案已保存（1 / 4 题已作答）")
    page.get_by_role("button", name="交卷").scroll_into_view_if_needed()
    expect(page.locator(".dj-quiz-timer")).to_be_in_viewport()  # the timer stays in sight
    assert page.evaluate("window.scrollY") > 0
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "q2-question.png"))
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("正确").check()
    expect(page.locator(".dj-quiz-save")).to_contain_text("答案已保存（2 / 4 题已作答）")
    assert AttemptAnswer.objects.filter(attempt=attempt).count() == 2

    # 3. The connection drops: the answer is kept on the phone and the page says so.
    context.set_offline(True)
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("政治纪律").check()
    page.get_by_label("娱乐纪律").check()  # wrong
    expect(page.locator(".dj-quiz-save")).to_have_text(OFFLINE_TEXT)
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "q3-offline.png"))
    # Back online the upload fails once more (a flaky network) and the member reloads.
    page.route("**/api/member/attempts/*/answers/*/", lambda route: route.abort())
    context.set_offline(False)
    expect(page.locator(".dj-quiz-save")).to_have_text(OFFLINE_TEXT)
    assert not AttemptAnswer.objects.filter(attempt=attempt, question=data.kinds).exists()
    page.unroute("**/api/member/attempts/*/answers/*/")
    # Time passed on the server: 4 minutes left. The page counts from the server's time.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + datetime.timedelta(minutes=4))
    page.reload()

    # 4. Resumed: the kept answer reaches the server, the member goes on where they were.
    expect(page.locator(".dj-quiz-save")).to_contain_text("答案已保存（3 / 4 题已作答）")
    expect(page.locator(".dj-quiz-timer__value")).to_have_text(re.compile(r"^0[34]:[0-5]\d$"))
    assert AttemptAnswer.objects.get(attempt=attempt, question=data.kinds).answer is not None
    expect(page.locator(".dj-quiz-progress")).to_have_text("第 4 / 4 题 · 已答 3 题")
    page.get_by_label("答案").fill("开除公职")  # wrong
    page.get_by_label("答案").press("Tab")
    expect(page.locator(".dj-quiz-save")).to_contain_text("答案已保存（4 / 4 题已作答）")
    page.locator(".dj-quiz-sheet__item").nth(2).click()  # the answer sheet: back to question 3
    expect(page.get_by_label("政治纪律")).to_be_checked()
    expect(page.get_by_label("娱乐纪律")).to_be_checked()

    # 5. Submitted, but the reply is lost; the retry after a reload counts once.
    def lose_reply(route):
        route.fetch()
        route.abort()

    page.route("**/api/member/attempts/*/submit/", lose_reply)
    page.get_by_role("button", name="交卷").click()
    expect(page.locator(".dj-quiz-confirm")).to_contain_text("已全部作答")
    page.get_by_role("button", name="确认交卷").click()
    expect(page.locator("[data-dj-alert]")).to_contain_text("暂时无法交卷")
    page.unroute("**/api/member/attempts/*/submit/")
    page.reload()
    page.wait_for_url(f"{base}/member/quiz-result/?id={attempt.pk}")

    # 6. The result (graded by the worker a moment after the hand-in): score, and per
    # question my answer, the right one and the explanation.
    expect(page.locator(".dj-quiz-score__value")).to_have_text("50 分")
    attempt.refresh_from_db()
    assert attempt.submitted_at is not None and attempt.score == 50.0 and not attempt.late
    assert Attempt.objects.filter(user=data.member, quiz=data.quiz).count() == 1
    expect(page.locator(".dj-quiz-score__detail")).to_have_text("答对 2 / 4 题 · 未及格（及格 60 分）")
    reviews = page.locator(".dj-quiz-review")
    expect(reviews).to_have_count(4)
    expect(page.locator(".dj-quiz-review--wrong")).to_have_count(2)
    third = reviews.nth(2)
    expect(third).to_contain_text("答错")
    expect(third).to_contain_text("娱乐纪律（我的选择）")
    expect(third).to_contain_text("党的纪律包括政治纪律、组织纪律、廉洁纪律")
    expect(reviews.nth(3).locator("dd").nth(1)).to_have_text("开除党籍")
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "q4-result.png"), full_page=True)

    # 7. The mastery map: 党的纪律 first, weak, with the narrowest bar.
    page.get_by_role("link", name="掌握情况").click()
    points = page.locator(".dj-quiz-mastery__item")
    expect(points).to_have_count(2)
    expect(points.first.locator(".dj-quiz-mastery__name")).to_have_text("党的纪律 薄弱")
    expect(points.first.locator(".dj-quiz-bar__fill")).to_have_class(re.compile(r"dj-quiz-bar__fill--w0\b"))
    expect(points.nth(1)).to_contain_text("党的历史 已掌握")
    expect(page.get_by_role("button", name="练一练薄弱知识点")).to_be_visible()
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "q5-mastery.png"))

    # 8. The notebook holds both wrong questions; practising them once keeps them there.
    page.get_by_role("link", name="错题本").click()
    expect(page.locator(".dj-quiz-notebook__total")).to_have_text("错题本中有 2 题")
    expect(page.locator(".dj-quiz-notebook")).to_contain_text("党的纪律包括哪些？")
    expect(page.locator(".dj-quiz-notebook")).to_contain_text("开除公职")
    assert_fits(page)
    page.screenshot(path=str(tmp_path / "q6-notebook.png"))
    _practise_notebook(page, expect, base)
    expect(page.locator(".dj-quiz-notebook__total")).to_have_text("错题本中有 2 题")
    expect(page.locator(".dj-quiz-streak")).to_have_count(2)

    # 9. A day later (the first right answer moved back a day) a second right answer clears them.
    entries = NotebookEntry.objects.filter(user=data.member, cleared_at__isnull=True)
    assert entries.count() == 2
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    entries.update(streak_day=yesterday)
    _practise_notebook(page, expect, base)
    expect(page.locator(".dj-quiz-notebook__total")).to_have_text("错题本中有 0 题")
    expect(page.locator(".dj-empty")).to_contain_text("没有错题")
    assert not NotebookEntry.objects.filter(user=data.member, cleared_at__isnull=True).exists()

    # The quiz is 已完成 but not passed: the tab still counts it, and 再做一次 is offered.
    page.goto(f"{base}/member/quizzes/")
    card = page.locator("[data-group=completed] .dj-quiz-card", has_text="党章党规知识测验")
    expect(card).to_contain_text("最好成绩 50 分（及格 60 分）")
    expect(card.locator(".dj-badge")).to_contain_text(["测验", "已完成", "未及格"])
    expect(page.locator("[data-dj-nav-view=quizzes] [data-dj-nav-badge]")).to_have_text("1")

    # The ended contest's published ranking: by score, then time; my row marked.
    contest = page.locator("[data-group=completed] .dj-quiz-card", has_text="知识竞赛")
    contest.get_by_role("link", name="查看排名").click()
    page.wait_for_url(f"{base}/member/quiz-ranking/?id={data.contest.pk}")
    expect(page.locator("h1")).to_have_text("“学党史”知识竞赛 · 排名")
    expect(page.get_by_text("我的名次：第 1 名，100 分，用时 02:00")).to_be_visible()
    rows = page.locator(".dj-quiz-ranking tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_class("dj-quiz-ranking__me")
    expect(rows.first.locator("td")).to_have_text(["1", "钱学员（我）", "第一党支部", "100 分", "02:00"])
    expect(rows.nth(1).locator("td")).to_have_text(["2", "孙同志", "第一党支部", "100 分", "04:00"])
    assert_fits(page)

    # 再做一次, and the time runs out: the page submits what was saved in time by itself.
    page.goto(f"{base}/member/quiz/?id={data.quiz.pk}")
    page.get_by_role("button", name="再做一次").click()
    page.wait_for_url(re.compile(r"/member/quiz-attempt/\?id=\d+$"))
    page.get_by_label("1921年").check()
    expect(page.locator(".dj-quiz-save")).to_contain_text("答案已保存")
    second = Attempt.objects.filter(user=data.member, quiz=data.quiz).latest("started_at")
    Attempt.objects.filter(pk=second.pk).update(deadline=timezone.now() + datetime.timedelta(seconds=3))
    page.reload()
    page.wait_for_url(f"{base}/member/quiz-result/?id={second.pk}")
    expect(page.locator(".dj-quiz-score__detail")).to_have_text("答对 1 / 4 题 · 未及格（及格 60 分）")
    second.refresh_from_db()
    assert second.submitted_at is not None and not second.late
    assert outside == []
