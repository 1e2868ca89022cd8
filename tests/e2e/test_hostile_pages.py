"""Hostile content in a real browser. A reviewer who is logged in to the admin opens the
public pages an editor filled with the payload corpus (tests/hostile.py), and a member opens a
lesson filled with it. The browser ignores the site's Content-Security-Policy here
(``bypass_csp``), so the pages themselves must be safe: no dialog, no request to /admin/ and
none to another host. Then, with the policy enforced, the site's own scripts (search, the
member area) must still work and the policy must refuse nothing."""

from html import escape as html_escape
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from wagtail.rich_text import RichText

from tests.e2e.conftest import TIMEOUT_MS, WECHAT_PHONE
from tests.hostile import PAYLOADS, URL_PAYLOADS, marker

pytestmark = pytest.mark.e2e

STORABLE = [p.replace("\x00", "") for p in PAYLOADS]


def _body(payloads) -> list:
    blocks = []
    for number, payload in enumerate(payloads):
        link = URL_PAYLOADS[number % len(URL_PAYLOADS)]
        blocks += [
            ("heading", payload[:120]),
            (
                "paragraph",
                RichText(
                    f"<p>{html_escape(payload)}</p><p>{payload}</p>"
                    f'<p><a href="{html_escape(link, quote=True)}">链接{marker(payload)}</a></p>'
                ),
            ),
            ("table", {"data": [[payload, "值"]], "first_row_is_table_header": False, "table_caption": payload}),
            ("quote", {"text": payload, "source": payload}),
        ]
    return blocks


@pytest.fixture
def hostile(public_home, site_paths, publish):
    from wagtail.models import Site

    from cms.accounts.models import MemberStatus
    from cms.accounts.roles import REVIEWER
    from cms.core.models import SiteSettings
    from tests.factories import (
        CourseFactory,
        LessonFactory,
        MembershipFactory,
        NewsPageFactory,
        OrganisationUnitFactory,
        SectionPageFactory,
        UserFactory,
    )

    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.org_name, settings.announcement_text = STORABLE[1], STORABLE[0]
    settings.announcement_link = URL_PAYLOADS[0]
    settings.save()
    section = SectionPageFactory(parent=public_home, title=STORABLE[2], slug="news", intro=STORABLE[3])
    articles = [
        NewsPageFactory(
            parent=section,
            title=payload,
            slug=f"xss-{number:02d}",
            summary=payload,
            tags=[payload[:100]],
            body=_body(STORABLE[number : number + 13]),
        )
        for number, payload in enumerate(STORABLE[::13])
    ]
    branch = OrganisationUnitFactory(name="第一党支部")
    member = MembershipFactory(user__username="member1", user__organisation=branch, status=MemberStatus.FULL).user
    course = CourseFactory(title=STORABLE[4], intro=STORABLE[5], audience_units=[branch])
    lesson = LessonFactory(parent=course, title=STORABLE[0], summary=STORABLE[1], body=_body(STORABLE))
    reviewer = UserFactory(username="reviewer", last_name="李", first_name="审核", groups=[REVIEWER])
    publish()
    return SimpleNamespace(articles=articles, lesson=lesson, member=member, reviewer=reviewer)


class Watch:
    """Dialogs, requests to /admin/ or another host, and policy refusals of one context."""

    def __init__(self, context, base):
        self.base = urlsplit(base)
        self.dialogs, self.admin, self.outside, self.refused = [], [], [], []
        self.watching_admin = False
        context.on("request", self._request)

    def page(self, context):
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on(
            "console", lambda m: "Content Security Policy" in m.text and self.refused.append(f"{page.url}: {m.text}")
        )
        return page

    def _request(self, request):
        url = urlsplit(request.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if (url.scheme, url.netloc) != (self.base.scheme, self.base.netloc):
            self.outside.append(request.url)
        elif self.watching_admin and url.path.startswith("/admin/"):
            self.admin.append(request.url)


def _visit_site(page, base, hostile):
    for path in ["/", "/news/", "/tags/", *[a.url for a in hostile.articles]]:
        page.goto(base + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(200)  # an injected handler (onload, autofocus …) would have fired
    # Search renders results from the index with innerHTML: the titles are payloads.
    page.goto(base + "/")
    phone_icon = page.locator("label.md-header__button[for=__search]")
    if phone_icon.is_visible():
        phone_icon.click()
    page.locator("#dj-search-input").fill("alert")
    page.locator(".md-search-result__item").first.wait_for()


def test_a_logged_in_reviewer_opens_hostile_pages_and_nothing_runs(hostile, live_server, new_context):
    from tests.factories import PASSWORD

    base = live_server.url
    context = new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    watch = Watch(context, base)
    page = watch.page(context)
    page.goto(f"{base}/admin/login/")
    page.locator("input[name=username]").fill("reviewer")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")

    watch.watching_admin = True
    _visit_site(page, base, hostile)

    assert not watch.dialogs, watch.dialogs
    assert not watch.admin, f"a public page reached into the admin: {watch.admin}"
    assert not watch.outside, watch.outside
    assert page.locator(".md-search-result__item").count() >= 1


def test_a_member_opens_a_hostile_lesson_and_nothing_runs(hostile, live_server, new_context):
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    base = live_server.url
    context = new_context(bypass_csp=True, **WECHAT_PHONE)
    watch = Watch(context, base)
    page = watch.page(context)
    page.goto(f"{base}/member/lesson/?id={hostile.lesson.pk}")
    page.get_by_label("用户名").fill("member1")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.dj-login").get_by_role("button", name="登录").click()
    expect(page.locator("[data-dj-title]")).to_have_text(STORABLE[0])
    page.locator(".dj-member__body table").first.wait_for()
    page.wait_for_timeout(300)

    assert not watch.dialogs, watch.dialogs
    assert not watch.outside, watch.outside


def test_with_the_policy_enforced_the_sites_own_scripts_work(hostile, live_server, new_context):
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    base = live_server.url
    context = new_context(**WECHAT_PHONE)
    watch = Watch(context, base)
    page = watch.page(context)
    _visit_site(page, base, hostile)  # the search box loads its script and index and shows results
    page.goto(f"{base}/member/lesson/?id={hostile.lesson.pk}")
    page.get_by_label("用户名").fill("member1")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.dj-login").get_by_role("button", name="登录").click()
    expect(page.locator("[data-dj-title]")).to_have_text(STORABLE[0])
    for view in ("/member/", f"/member/course/?id={hostile.lesson.get_parent().pk}"):
        page.goto(base + view)
        expect(page.locator(".dj-progress__fill").first).to_be_attached()
    # The progress bars are drawn through the CSSOM, which the policy allows.
    assert page.locator(".dj-progress__fill").first.evaluate("e => e.style.width") != ""

    assert not watch.refused, watch.refused
    assert not watch.dialogs and not watch.outside
