"""Screenshots for the 使用指南 (site/pages/help/): the member area as a member sees it on a phone.

    python manage.py help_screenshots [--out site/pages/help/images] [--keep]

Builds a throw-away demo installation in a temporary directory (migrate, setup_roles,
load_demo, publish_site — the developer's own database and var/ are never touched), serves it
with runserver on a free local port, and walks the member pages as the demo member ``member1``
in Debian's Chromium at 375 px (WeChat's user agent). Each step is saved as a palette PNG
(Pillow quantisation: the pictures are flat UI colours, so 64 colours lose nothing visible and
make the files a fifth of the size). Run it again whenever the member pages change, check the
pictures, and commit them: the site build copies them like any other file under site/.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

CHROMIUM = "/usr/bin/chromium"
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800322c) NetType/WIFI Language/zh_CN"
)
WIDTH, HEIGHT = 375, 667  # a small phone: what fits on it is what the member sees at once
MEMBER = "member1"
COLOURS = 64


def optimise_png(data: bytes) -> bytes:
    """Palette PNG: screenshots of flat UI compress to a fraction of their RGB size."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    quantised = image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    quantised.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _blank_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (WIDTH, 100), "white").save(out, format="PNG")
    return out.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Command(BaseCommand):
    help = "Generate the member-area screenshots of the 使用指南 (site/pages/help/images/)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            type=Path,
            default=Path(settings.SITE_SOURCE_DIR) / "pages" / "help" / "images",
            help="folder for the PNGs (default: site/pages/help/images)",
        )
        parser.add_argument("--keep", action="store_true", help="keep the temporary demo installation")

    def handle(self, *args, **options):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:  # the test extra: pip install -e '.[test]'
            raise CommandError("需要 playwright（pip install -e '.[test]'）和 Debian 的 chromium。") from exc
        if not Path(CHROMIUM).exists():
            raise CommandError(f"找不到 {CHROMIUM}（apt-get install chromium fonts-wqy-microhei）")
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        # The demo site is built strictly from this working tree, and the help page links its
        # pictures: a picture that does not exist yet (first run, a new step) gets a blank
        # stand-in until its screenshot replaces it.
        stand_ins = [path for path in self._referenced(out) if not path.exists()]
        for path in stand_ins:
            path.write_bytes(optimise_png(_blank_png()))
        workdir = Path(tempfile.mkdtemp(prefix="dangjian-help-"))
        try:
            with self._demo_server(workdir) as base, sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"]
                )
                try:
                    self._walk(browser, base, out)
                finally:
                    browser.close()
        except BaseException:
            for path in stand_ins:  # never leave a blank picture behind
                path.unlink(missing_ok=True)
            raise
        finally:
            if options["keep"]:
                self.stdout.write(f"演示环境保留在 {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)

    @staticmethod
    def _referenced(out: Path) -> list[Path]:
        help_dir = Path(settings.SITE_SOURCE_DIR) / "pages" / "help"
        names = set()
        for page in help_dir.glob("*.md"):
            names.update(re.findall(r"\(images/([\w.-]+\.png)\)", page.read_text(encoding="utf-8")))
        return [out / name for name in sorted(names)]

    # ------------------------------------------------------------------ demo installation

    @contextmanager
    def _demo_server(self, workdir: Path):
        env = {
            **os.environ,
            "VAR_DIR": str(workdir / "var"),
            "CONTENT_DIR": str(workdir / "content"),
            "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        }
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        for command in (["migrate", "--no-input", "-v0"], ["setup_roles"], ["load_demo"], ["publish_site"]):
            self.stdout.write("$ manage.py " + " ".join(command))
            done = subprocess.run(manage + command, env=env, capture_output=True, text=True)
            if done.returncode:
                raise CommandError(f"manage.py {' '.join(command)} 失败：\n{done.stdout}\n{done.stderr}")
        port = _free_port()
        server = subprocess.Popen(
            manage + ["runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/api/member/session/", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise CommandError("演示服务器没有启动。") from None
                    time.sleep(0.3)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)

    # ------------------------------------------------------------------ the steps

    def _save(self, page, out: Path, name: str, *, element=None, full_page=False) -> None:
        page.wait_for_timeout(400)  # drawer and bar transitions settle
        if element is not None:
            # The part of the screen around one element, full width: every picture is 375 px
            # wide like the phone, so they line up on the help page.
            target = page.locator(element).first
            target.scroll_into_view_if_needed()
            box = target.bounding_box()
            data = page.screenshot(
                clip={"x": 0, "y": max(0, box["y"] - 12), "width": WIDTH, "height": box["height"] + 24}
            )
        else:
            data = page.screenshot(full_page=full_page)
        png = optimise_png(data)
        (out / name).write_bytes(png)
        self.stdout.write(f"  {name}  {len(png) // 1024} KB")

    @staticmethod
    def _scroll_to(page, selector: str) -> None:
        # Just below the fixed header bar (48 px), which would otherwise cover the heading.
        page.evaluate(
            "s => window.scrollTo(0, document.querySelector(s).getBoundingClientRect().top + window.scrollY - 60)",
            selector,
        )

    def _walk(self, browser, base: str, out: Path) -> None:
        from cms.bootstrap.demo.content import DEMO_PASSWORD

        context = browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT},
            user_agent=WECHAT_UA,
            locale="zh-CN",
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        page.set_default_timeout(20_000)

        # 1. Find 党员学习: the menu (≡) of any page lists it.
        page.goto(base + "/")
        page.locator("label.md-header__button[for=__drawer]").click()
        page.locator(".md-nav--primary").get_by_text("党员学习").wait_for()
        self._save(page, out, "01-menu.png")

        # 2. Log in.
        page.goto(base + "/member/")
        page.get_by_label("用户名").fill(MEMBER)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        self._save(page, out, "02-login.png")
        page.locator("form.dj-login button[type=submit]").click()
        page.locator(".dj-cards").wait_for()

        # 3. 我的课程 (and 我的进度 above it).
        self._scroll_to(page, "#dj-progress-title")
        self._save(page, out, "03-my-courses.png")

        # 4. A course and its lessons.
        page.locator(".dj-card__title a").first.click()
        page.locator(".dj-lessons").wait_for()
        self._save(page, out, "04-course.png")

        # 5. A lesson: the timer note on top, the 完成本课时 button at the end.
        lesson_id = page.locator(".dj-lesson-item__title a").first.get_attribute("href").split("id=")[1]
        # Reports every 5 s instead of 30 so the button turns on soon after the required minute.
        page.goto(f"{base}/member/lesson/?id={lesson_id}&heartbeat=5")
        page.locator(".dj-lesson__body").wait_for()
        page.wait_for_timeout(1500)
        self._save(page, out, "05-lesson.png")
        page.locator(".dj-study").scroll_into_view_if_needed()
        self._save(page, out, "06-lesson-waiting.png", element=".dj-study")
        self.stdout.write("  等待学满本课时的学习时长 …")
        page.get_by_role("button", name="完成本课时").wait_for(state="visible")
        page.wait_for_function("!document.querySelector('.dj-study button').disabled", timeout=120_000)
        self._save(page, out, "07-lesson-ready.png", element=".dj-study")
        page.get_by_role("button", name="完成本课时").click()
        page.locator(".dj-study__done").wait_for()
        page.locator(".dj-study").scroll_into_view_if_needed()
        self._save(page, out, "08-lesson-done.png", element=".dj-study")

        # 6. 我的进度 after studying.
        page.goto(base + "/member/")
        page.locator(".dj-totals").wait_for()
        self._scroll_to(page, "#dj-progress-title")
        self._save(page, out, "09-progress.png")

        # 7. The session ends (here: the cookies go): the next request asks to log in again.
        context.clear_cookies()
        page.goto(f"{base}/member/lesson/?id={lesson_id}")
        page.locator("form.dj-login").wait_for()
        self._save(page, out, "10-session-expired.png")
        context.close()
