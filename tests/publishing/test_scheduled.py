import datetime

from django.core.management import call_command
from django.utils import timezone

from tests.conftest import WORKER_DB
from tests.factories import NewsPageFactory, SectionPageFactory


@WORKER_DB
def test_expired_pages_disappear_when_the_worker_runs(home, publish, public_site):
    news = SectionPageFactory(parent=home, slug="news")
    page = NewsPageFactory(parent=news, slug="short-lived", title="限时通知")
    publish()
    assert public_site.exists("news/short-lived/index.html")

    page.expire_at = timezone.now() - datetime.timedelta(seconds=1)
    page.save()
    call_command("worker", once=True)  # publish_scheduled unpublishes it; the queued publish runs
    page.refresh_from_db()
    assert page.expired and not page.live
    assert not public_site.exists("news/short-lived/index.html")


@WORKER_DB
def test_scheduled_page_goes_live_on_time(home, publish, public_site):
    news = SectionPageFactory(parent=home, slug="news")
    page = NewsPageFactory(parent=news, slug="tomorrow", title="定时发布", publish=False)
    revision = page.latest_revision
    revision.approved_go_live_at = timezone.now() - datetime.timedelta(seconds=1)
    revision.save()
    publish()
    assert not public_site.exists("news/tomorrow/index.html")
    call_command("worker", once=True)
    assert public_site.exists("news/tomorrow/index.html")
