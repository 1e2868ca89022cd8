"""Screenshots of the 使用指南's chapter 在线测试 (site/pages/help/index.md, images/q*.png):

    python manage.py quiz_screenshots [--out site/pages/help/images] [--keep]

The same throw-away demo installation as ``help_screenshots`` (cms/study), walked as the
demo member ``member1`` at 375 px: 我的测试, the demo's 党章知识测验 taken with two wrong
answers (one of them while the connection is lost), its result, the mastery map and the
错题本; then the demo's ended contest's ranking as ``member3`` (who sat it) sees it, and the
demo branch secretary ``branch1``'s 测评统计 in the admin with that contest's ranking."""

from __future__ import annotations

from pathlib import Path

from cms.bootstrap.management.commands import help_screenshots as base

QUIZ = "党章知识测验"
CONTEST = "“党的创建”知识竞赛"  # ended, ranked (cms/assessment/demo.py)
#: The demo quiz's questions (cms/assessment/demo.py) by a piece of their stem → what the
#: member answers: option texts, or the blank's text. Two are wrong on purpose.
ANSWERS = {
    "根本宗旨": ["全心全意为人民服务"],
    "最高理想": ["实现共产主义"],
    "行动指南": "习近平新时代中国特色社会主义",
    "党员权利": ["参加党的有关会议", "不参加组织生活"],  # wrong: the notebook and mastery map show it
    "表决权": ["正确"],
    "预备期": ["半年"],  # wrong
}


class Command(base.Command):
    help = "Generate the screenshots of the 在线测试 help chapter (site/pages/help/images/q*.png)."

    @staticmethod
    def _answer(page) -> None:
        stem = page.locator(".dj-quiz-question__stem").text_content()
        answer = next(value for key, value in ANSWERS.items() if key in stem)
        if isinstance(answer, str):
            page.get_by_label("答案").fill(answer)
            page.get_by_label("答案").press("Tab")
        else:
            for text in answer:
                page.locator(".dj-quiz-option label", has_text=text).click()

    @staticmethod
    def _phone(browser):
        return browser.new_context(
            viewport={"width": base.WIDTH, "height": base.HEIGHT},
            user_agent=base.WECHAT_UA,
            locale="zh-CN",
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
        )

    @staticmethod
    def _member_login(context, base_url: str, username: str):
        """我的测试 after logging in as the demo member ``username``."""
        from cms.bootstrap.demo.content import DEMO_PASSWORD

        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(base_url + "/member/quizzes/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.locator("form.dj-login button[type=submit]").click()
        page.locator(".dj-quiz-group").first.wait_for()
        return page

    def _walk(self, browser, base_url: str, out: Path) -> None:
        from cms.bootstrap.demo.content import DEMO_PASSWORD

        context = self._phone(browser)
        page = self._member_login(context, base_url, base.MEMBER)

        # 1. 我的测试: the groups, the required quiz waiting (and the tab's count).
        self._scroll_to(page, ".dj-quiz-links")
        self._save(page, out, "q1-quizzes.png")

        # 2. The quiz: its rules before starting.
        page.get_by_role("link", name=QUIZ).first.click()
        page.locator(".dj-quiz-facts").wait_for()
        self._save(page, out, "q2-quiz.png")

        # 3. A question on the phone: timer, progress, large options.
        page.get_by_role("button", name="开始作答").click()
        page.locator(".dj-quiz-question").wait_for()
        self._answer(page)
        page.locator(".dj-quiz-save", has_text="答案已保存").wait_for()
        self._scroll_to(page, "h1")
        self._save(page, out, "q3-question.png")

        # 4. The connection drops: the answer is kept on the phone.
        page.get_by_role("button", name="下一题").click()
        context.set_offline(True)
        self._answer(page)
        page.locator(".dj-quiz-save--offline").wait_for()
        self._scroll_to(page, "h1")
        self._save(page, out, "q4-offline.png")
        context.set_offline(False)
        page.locator(".dj-quiz-save", has_text="答案已保存").wait_for()

        # 5. The rest, 交卷 with its confirmation, the result with answers and 解析.
        total = page.locator(".dj-quiz-sheet__item").count()
        for _ in range(total - 2):
            page.get_by_role("button", name="下一题").click()
            self._answer(page)
        page.locator(".dj-quiz-save", has_text=f"{total} / {total} 题已作答").wait_for()
        page.get_by_role("button", name="交卷").click()
        page.locator(".dj-quiz-confirm").wait_for()
        self._save(page, out, "q5-submit.png", element=".dj-quiz-confirm")
        page.get_by_role("button", name="确认交卷").click()
        page.locator(".dj-quiz-score").wait_for()
        self._scroll_to(page, "h1")
        self._save(page, out, "q6-result.png")
        self._scroll_to(page, ".dj-quiz-review--wrong")
        self._save(page, out, "q7-review.png")

        # 6. 掌握情况 and 错题本.
        page.goto(base_url + "/member/quiz-mastery/")
        page.locator(".dj-quiz-mastery").wait_for()
        self._scroll_to(page, ".dj-quiz-links")
        self._save(page, out, "q8-mastery.png")
        page.goto(base_url + "/member/quiz-notebook/")
        page.locator(".dj-quiz-notebook").wait_for()
        self._scroll_to(page, ".dj-quiz-links")
        self._save(page, out, "q9-notebook.png")
        context.close()

        # 7. A contest's ranking in the member area, as someone who sat it sees it.
        context = self._phone(browser)
        page = self._member_login(context, base_url, "member3")
        page.get_by_role("link", name="查看排名").first.click()
        page.locator(".dj-quiz-ranking").first.wait_for()
        self._scroll_to(page, "h1")
        self._save(page, out, "q11-ranking.png")
        context.close()

        # 8. The branch secretary's 测评统计 in the admin, after member1's attempt, and the
        # contest's report with its ranking.
        admin = browser.new_context(viewport={"width": base.WIDTH, "height": base.HEIGHT}, device_scale_factor=1)
        staff = admin.new_page()
        staff.set_default_timeout(20_000)
        staff.goto(base_url + "/admin/login/")
        staff.locator("input[name=username]").fill("branch1")
        staff.locator("input[name=password]").fill(DEMO_PASSWORD)
        staff.locator("form button[type=submit]").click()
        staff.wait_for_url(base_url + "/admin/")
        staff.goto(base_url + "/admin/assessment/reports/")
        staff.get_by_role("link", name=QUIZ).first.wait_for()
        self._save(staff, out, "q10-reports.png")
        staff.get_by_role("link", name=CONTEST).first.click()
        staff.get_by_role("heading", name="竞赛排名").scroll_into_view_if_needed()
        self._save(staff, out, "q12-report-ranking.png")
        admin.close()
