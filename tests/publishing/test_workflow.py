"""The editorial path end to end through the admin: an editor submits, a reviewer approves,
the worker publishes, and the page is on the public site under the editor's name."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.openness.models import NewsPage
from cms.publishing.services import content_repo
from tests.conftest import WORKER_DB
from tests.factories import PASSWORD, SectionPageFactory


@pytest.fixture
def news(home):
    return SectionPageFactory(parent=home, title="新闻动态", slug="news")


def _submit_news(client, parent, title="支部召开专题组织生活会", slug="org-life-meeting"):
    url = reverse("wagtailadmin_pages:add", args=("openness", "newspage", parent.pk))
    data = nested_form_data(
        {
            "title": title,
            "slug": slug,
            "date": "2026-11-26",
            "summary": "会议情况",
            "tags": "组织生活会",
            "issuing_unit": "",
            "body": streamfield([("paragraph", rich_text("<p>支部全体党员参加了会议。</p>"))]),
            "action-submit": "提交审核",
        }
    )
    return client.post(url, data)


def test_editor_cannot_publish_directly(client, news, editor):
    client.login(username="editor", password=PASSWORD)
    url = reverse("wagtailadmin_pages:add", args=("openness", "newspage", news.pk))
    data = nested_form_data(
        {
            "title": "越权发布",
            "slug": "bypass",
            "date": "2026-11-26",
            "body": streamfield([("paragraph", rich_text("<p>x</p>"))]),
            "action-publish": "发布",
        }
    )
    client.post(url, data)
    page = NewsPage.objects.get(slug="bypass")
    assert not page.live
    assert not page.permissions_for_user(editor).can_publish()


@WORKER_DB
def test_submit_approve_publish(
    client, news, editor, reviewer, site_paths, public_site, django_capture_on_commit_callbacks
):
    client.login(username="editor", password=PASSWORD)
    response = _submit_news(client, news)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = NewsPage.objects.get(slug="org-life-meeting")
    assert not page.live
    workflow_state = page.current_workflow_state
    assert workflow_state is not None and workflow_state.workflow.name == "审核发布"

    client.logout()
    client.login(username="reviewer", password=PASSWORD)
    task_state = workflow_state.current_task_state
    assert task_state.task.name == "审核"
    # The reviewer fixes a typo while reviewing; the editor remains the author.
    draft = page.get_latest_revision_as_object()
    draft.summary = "会议情况（审核修订）"
    draft.save_revision(user=reviewer)
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"comment": "同意发布"})
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live

    call_command("worker", once=True)  # what `make run` keeps running

    assert "支部全体党员参加了会议" in public_site.text("news/org-life-meeting/index.html")
    assert "会议情况（审核修订）" in public_site.text("news/index.html")  # the listing shows the summary
    newest = content_repo().log(max_count=5)
    ours = [entry for entry in newest if "支部召开专题组织生活会" in entry["message"]]
    assert ours, newest
    assert ours[0]["author_name"] == "王编辑"
    assert ours[0]["committer_name"] == "李审核"


def test_rejection_keeps_the_page_off_the_site(client, news, editor, reviewer, publish, public_site):
    client.login(username="editor", password=PASSWORD)
    _submit_news(client, news, title="待修改的稿件", slug="needs-work")
    page = NewsPage.objects.get(slug="needs-work")
    client.logout()
    client.login(username="reviewer", password=PASSWORD)
    task_state = page.current_workflow_state.current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "reject", task_state.pk))
    client.post(url, {"comment": "请补充会议时间"})
    page.refresh_from_db()
    assert not page.live
    assert page.current_workflow_state.status == "needs_changes"
    publish()
    assert not public_site.exists("news/needs-work/index.html")


def test_editor_cannot_approve(client, news, editor, reviewer):
    client.login(username="editor", password=PASSWORD)
    _submit_news(client, news)
    page = Page.objects.get(slug="org-life-meeting").specific
    task = page.current_workflow_state.current_task_state.task.specific
    assert task.get_actions(page, editor) == []
    assert {"approve", "reject"} <= {name for name, *_ in task.get_actions(page, reviewer)}
