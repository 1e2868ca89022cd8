from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.accounts.roles import EDITOR
from cms.core.forms import slug_from_title
from cms.openness.models import NewsPage
from tests.factories import PASSWORD, NewsPageFactory, SectionPageFactory, UserFactory


def test_slug_from_chinese_title_is_readable_pinyin():
    assert slug_from_title("党委理论学习中心组召开专题学习会") == "dang-wei-li-lun-xue-xi-zhong-xin"
    assert slug_from_title("2026年第四季度") == "2026-nian-di-si-ji-du"


def _add(client, section, title):
    url = reverse("wagtailadmin_pages:add", args=("openness", "newspage", section.pk))
    return client.post(
        url,
        nested_form_data(
            {
                "title": title,
                "slug": "",
                "date": "2026-11-26",
                "body": streamfield([("paragraph", rich_text("<p>正文</p>"))]),
            }
        ),
    )


def test_editor_may_leave_the_slug_empty(client, home):
    section = SectionPageFactory(parent=home, slug="news")
    NewsPageFactory(parent=section, slug="zhi-bu-da-hui", title="已有页面")
    UserFactory(username="writer", groups=[EDITOR])
    client.login(username="writer", password=PASSWORD)

    assert _add(client, section, "支部大会").status_code == 302
    assert _add(client, section, "标签").status_code == 302  # pinyin "biao-qian" is fine

    slugs = set(NewsPage.objects.child_of(section).values_list("slug", flat=True))
    assert "zhi-bu-da-hui-2" in slugs  # the first choice was taken by a sibling
    assert "biao-qian" in slugs


def test_opening_and_saving_unchanged_page_is_not_an_edit(home):
    section = SectionPageFactory(parent=home, slug="news")
    page = NewsPageFactory(parent=section, slug="n")
    form_class = NewsPage.get_edit_handler().get_form_class()
    assert (
        not form_class.base_fields["date"].show_hidden_initial
        or not form_class(instance=page, for_user=None).fields["date"].show_hidden_initial
    )


def test_admin_title_and_help_menu_have_no_wagtail_branding_or_outside_links(admin_client):
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "- 网络党建平台</title>" in html
    assert "guide.wagtail.org" not in html
