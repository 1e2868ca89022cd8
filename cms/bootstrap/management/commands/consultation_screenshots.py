"""Screenshots of the 使用指南's chapter 咨询与意见建议 (site/pages/help/consultations.md):

    python manage.py consultation_screenshots [--out site/pages/help/images] [--keep]

The same throw-away demo installation as ``help_screenshots`` (cms/bootstrap), walked as the
demo member ``member1`` (asks 第一党支部) and the demo branch secretary ``branch1`` (answers in
the admin), at 375 px."""

from __future__ import annotations

from pathlib import Path

from cms.bootstrap.management.commands import help_screenshots as base

SUBJECT = "组织关系转接怎么办理？"
QUESTION = "我下个月调到分公司工作，组织关系需要怎么转接？需要准备哪些材料？"
ANSWER = "请到支部开具组织关系介绍信，带到新单位党支部报到。支部会在一周内办好，有问题可以随时追问。"


class Command(base.Command):
    help = "Generate the screenshots of the 咨询与意见建议 help chapter (site/pages/help/images/c*.png)."

    def _walk(self, browser, base_url: str, out: Path) -> None:
        from cms.bootstrap.demo.content import DEMO_PASSWORD

        context = browser.new_context(
            viewport={"width": base.WIDTH, "height": base.HEIGHT},
            user_agent=base.WECHAT_UA,
            locale="zh-CN",
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(base_url + "/member/consultations/")
        page.get_by_label("用户名").fill(base.MEMBER)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.locator("form.dj-login button[type=submit]").click()
        page.locator(".dj-consultations-form").wait_for()

        # 1. The form, with the messages an empty submission gets.
        page.get_by_role("button", name="提交").click()
        self._scroll_to(page, "#dj-consultations-ask-title")
        # Scrolled up, the theme offers 回到页面顶部 over the heading; a little down hides it.
        page.mouse.wheel(0, 12)
        self._save(page, out, "c1-ask-form.png")

        # 2. Asked: the item waits for an answer.
        page.get_by_label("主题").fill(SUBJECT)
        page.get_by_label("内容", exact=True).fill(QUESTION)
        page.get_by_label("附件（选填）").set_input_files(
            {"name": "调动通知.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 demo"}
        )
        page.get_by_role("button", name="提交").click()
        page.locator(".dj-consultations-thread").wait_for()
        self._save(page, out, "c2-asked.png")
        item_url = page.url

        # 3. The secretary answers in the admin.
        admin = browser.new_context(viewport={"width": base.WIDTH, "height": base.HEIGHT}, device_scale_factor=1)
        staff = admin.new_page()
        staff.set_default_timeout(20_000)
        staff.goto(base_url + "/admin/login/")
        staff.locator("input[name=username]").fill("branch1")
        staff.locator("input[name=password]").fill(DEMO_PASSWORD)
        staff.locator("form button[type=submit]").click()
        staff.wait_for_url(base_url + "/admin/")
        staff.goto(base_url + "/admin/consultations/")
        staff.get_by_role("link", name=SUBJECT).first.click()
        staff.get_by_label("答复内容").fill(ANSWER)
        staff.get_by_label("答复内容").scroll_into_view_if_needed()
        self._save(staff, out, "c5-admin-answer.png")
        staff.get_by_role("button", name="发送答复").click()
        staff.get_by_text("答复已发送").wait_for()
        admin.close()

        # 4. The member sees the badge, then the answer.
        page.goto(base_url + "/member/consultations/")
        page.locator('[data-dj-nav-view="consultations"] [data-dj-nav-badge]:not([hidden])').wait_for()
        self._save(page, out, "c3-badge.png")
        page.goto(item_url)
        page.locator(".dj-consultations-message--answer").wait_for()
        self._scroll_to(page, ".dj-consultations-thread")
        self._save(page, out, "c4-answer.png")
        context.close()
