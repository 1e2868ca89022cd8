from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page

from cms.accounts.models import OrganisationUnit, User
from cms.core.models import ArticlePage
from cms.openness.models import NewsPage


def _counts():
    return (Page.objects.count(), User.objects.count(), OrganisationUnit.objects.count(),
            get_image_model().objects.count(), get_document_model().objects.count())


def test_load_demo_is_idempotent_and_keeps_edits(db, site_paths, publish, public_site):
    call_command("load_demo", verbosity=0)
    first = _counts()
    assert OrganisationUnit.objects.filter(kind="branch").count() == 2
    assert NewsPage.objects.live().count() >= 4
    assert Page.objects.live().public().type(ArticlePage).count() >= 12

    edited = NewsPage.objects.get(slug="volunteer-party-day")
    edited.title = "编辑改过的标题"
    edited.save_revision().publish()
    call_command("load_demo", verbosity=0)

    assert _counts() == first
    assert NewsPage.objects.get(slug="volunteer-party-day").title == "编辑改过的标题"

    publish()
    site = public_site.all_text()
    assert "编辑改过的标题" in site
    assert "（内部）党委会议情况通报" not in site
    assert "（草稿）年度党建工作总结" not in site
    assert public_site.exists("news/party-class-video/index.html")
    video_page = public_site.text("news/party-class-video/index.html")
    assert "<video" in video_page and "playsinline" in video_page
