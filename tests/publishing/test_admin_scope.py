"""A branch editor's admin lists only what they may edit, plus the public site's pages:
the page chooser (browse and search), the admin page search, and the reports."""

import pytest
from django.urls import reverse
from wagtail.models import Page
from wagtail.search import index

from cms.accounts.roles import ADMINISTRATOR
from cms.bootstrap.roles import setup_roles
from cms.study.services import ensure_study_root
from tests.factories import (
    PASSWORD,
    CourseFactory,
    LessonFactory,
    NewsPageFactory,
    OrganisationUnitFactory,
    SectionPageFactory,
    UserFactory,
)


@pytest.fixture
def admin_world(home):
    first = OrganisationUnitFactory(name="第一党支部")
    second = OrganisationUnitFactory(name="第二党支部")
    own = SectionPageFactory(parent=home, slug="branch-1", title="第一党支部园地", organisation=first)
    other = SectionPageFactory(parent=home, slug="branch-2", title="第二党支部园地", organisation=second)
    own_draft = NewsPageFactory(parent=own, title="本支部草稿 scopemarker")
    own_draft.unpublish()
    other_public = NewsPageFactory(parent=other, title="二支部公开 scopemarker")
    other_draft = NewsPageFactory(parent=other, title="二支部草稿 scopemarker")
    other_draft.unpublish()
    course = CourseFactory(title="学习课程 scopemarker")
    LessonFactory(parent=course, title="课时内容 scopemarker")
    # The admin's search reads the search index, which Wagtail fills from a task after commit.
    for page in Page.objects.all().specific():
        index.insert_or_update_object(page)
    setup_roles()
    branch_editor = UserFactory(username="branch_editor", groups=["编辑·第一党支部"])
    administrator = UserFactory(username="site_admin", groups=[ADMINISTRATOR])
    return locals()


def _login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def _chooser_titles(client, url, params=None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200
    if response["Content-Type"].startswith("application/json"):
        return response.json()["html"]
    return response.content.decode()


MARKERS = ["本支部草稿", "二支部公开", "二支部草稿", "学习课程", "课时内容"]


def _shown(html: str) -> set[str]:
    return {marker for marker in MARKERS if f"{marker} scopemarker" in html}


def test_page_chooser_search_offers_own_pages_and_public_ones_only(client, admin_world):
    _login(client, "branch_editor")
    html = _chooser_titles(client, reverse("wagtailadmin_choose_page_search"), {"q": "scopemarker"})
    assert _shown(html) == {"本支部草稿", "二支部公开"}


def test_page_chooser_browsing_hides_the_study_tree_and_other_drafts(client, admin_world):
    _login(client, "branch_editor")
    root = admin_world["home"].get_parent()
    top = _chooser_titles(client, reverse("wagtailadmin_choose_page_child", args=[root.pk]))
    assert ensure_study_root().title not in top
    assert admin_world["home"].title in top
    other = _chooser_titles(client, reverse("wagtailadmin_choose_page_child", args=[admin_world["other"].pk]))
    assert _shown(other) == {"二支部公开"}


def test_administrator_still_chooses_everything(client, admin_world):
    _login(client, "site_admin")
    html = _chooser_titles(client, reverse("wagtailadmin_choose_page_search"), {"q": "scopemarker"})
    assert _shown(html) == set(MARKERS)


def test_admin_page_search_lists_only_editable_pages(client, admin_world):
    _login(client, "branch_editor")
    response = client.get(reverse("wagtailadmin_pages:search"), {"q": "scopemarker"})
    assert response.status_code == 200
    assert _shown(response.content.decode()) == {"本支部草稿"}


def test_page_types_report_is_for_administrators(client, admin_world):
    url = reverse("wagtailadmin_reports:page_types_usage")
    _login(client, "branch_editor")
    for refused in (url, reverse("wagtailadmin_reports:page_types_usage_results")):
        response = client.get(refused)  # Wagtail's answer to PermissionDenied: back to the dashboard
        assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))
    assert url not in client.get(reverse("wagtailadmin_home")).content.decode()
    client.logout()
    _login(client, "site_admin")
    response = client.get(url)
    assert response.status_code == 200
    assert url in client.get(reverse("wagtailadmin_home")).content.decode()


def test_page_types_report_sends_anonymous_visitors_to_log_in(client, admin_world):
    response = client.get(reverse("wagtailadmin_reports:page_types_usage"))
    assert response.status_code == 302
    assert reverse("wagtailadmin_login") in response["Location"]
