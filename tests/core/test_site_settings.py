import re
from urllib.parse import urljoin

from django.urls import reverse
from wagtail.models import Site

from cms.accounts.roles import ADMINISTRATOR, EDITOR
from cms.core.models import SiteSettings
from tests.access import assert_refused_in_admin
from tests.factories import PASSWORD, NewsPageFactory, SectionPageFactory, UserFactory

ANNOUNCEMENT = "关于网传“停发党费”消息的权威说明"


def _settings_url():
    site = Site.objects.get(is_default_site=True)
    return reverse("wagtailsettings:edit", args=("core", "sitesettings", site.pk))


def _form(**overrides):
    data = {
        "org_name": "测试集团党委",
        "icp_number": "京ICP备12345678号-1",
        "announcement_text": ANNOUNCEMENT,
        "announcement_link": "/news/truth/",
    }
    return data | overrides


def test_administrator_sets_and_clears_the_banner_on_every_page(
    client, home, publish, public_site, django_capture_on_commit_callbacks
):
    news = SectionPageFactory(parent=home, slug="news", title="新闻动态")
    NewsPageFactory(parent=news, slug="truth", title="权威说明")
    publish()
    assert ANNOUNCEMENT not in public_site.text("index.html")

    UserFactory(username="boss", groups=[ADMINISTRATOR])
    client.login(username="boss", password=PASSWORD)
    response = client.post(_settings_url(), _form())
    assert response.status_code == 302
    publish()  # one publish: what the queued task does
    for page in ("index.html", "news/index.html", "news/truth/index.html", "tags/index.html"):
        html = public_site.text(page)
        assert ANNOUNCEMENT in html, page
        link = re.search(r'class="dj-announce".*?href="([^"]+)"', html, re.S).group(1)
        page_url = "/" + page.removesuffix("index.html")
        assert urljoin(page_url, link) == "/news/truth/", page
    assert "京ICP备12345678号-1" in public_site.text("index.html")
    assert "https://beian.miit.gov.cn/" in public_site.text("index.html")

    client.post(_settings_url(), _form(announcement_text="", announcement_link=""))
    publish()
    assert ANNOUNCEMENT not in public_site.all_text()


def test_editors_cannot_change_site_settings(client, home):
    UserFactory(username="writer", groups=[EDITOR])
    client.login(username="writer", password=PASSWORD)
    response = client.post(_settings_url(), _form())
    assert_refused_in_admin(response)
    assert SiteSettings.for_site(Site.objects.get(is_default_site=True)).announcement_text == ""


def test_bad_announcement_link_is_refused_in_chinese(client, home):
    UserFactory(username="boss", groups=[ADMINISTRATOR])
    client.login(username="boss", password=PASSWORD)
    response = client.post(_settings_url(), _form(announcement_link="javascript:alert(1)"))
    assert response.status_code == 200
    assert "链接须以 / 开头的站内路径" in response.content.decode()
    assert SiteSettings.for_site(Site.objects.get(is_default_site=True)).announcement_text == ""
