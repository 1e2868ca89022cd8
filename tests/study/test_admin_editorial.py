"""Study material goes through the same editorial path as public pages: editors (group 编辑)
write courses and lessons under 学习园地 and submit them; only the 审核 group's approval in
the 审核发布 workflow puts them live. Branch editors have no say over study pages."""

import pytest
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.accounts.models import MemberStatus
from cms.bootstrap.roles import setup_roles
from cms.study import selectors
from cms.study.models import CoursePage, LessonPage
from cms.study.services import ensure_study_root
from tests.access import assert_refused_in_admin
from tests.factories import PASSWORD, CourseFactory, OrganisationUnitFactory, SectionPageFactory, UserFactory


@pytest.fixture
def study_root(home):
    return ensure_study_root()


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)


def add_url(model, parent):
    return reverse("wagtailadmin_pages:add", args=("study", model, parent.pk))


def course_form(action, **fields):
    # Plain form data: nested_form_data would turn the lists into formset-style keys.
    return {
        "title": "学习贯彻党章",
        "slug": "charter",
        "intro": "逐章学习党章。",
        "required": "on",
        "deadline": "2030-07-01",
        "audience_statuses": [MemberStatus.PROBATIONARY, MemberStatus.FULL],
        action: "1",
        **fields,
    }


def lesson_form(action, **fields):
    return nested_form_data(
        {
            "title": "第一课：党章总纲",
            "slug": "general-program",
            "summary": "总纲导读",
            "body": streamfield([("paragraph", rich_text("<p>党章是党的根本大法。</p>"))]),
            "min_study_minutes": "5",
            action: "1",
            **fields,
        }
    )


def approve(client, reviewer, page):
    login(client, reviewer)
    task_state = page.current_workflow_state.current_task_state
    assert task_state.task.name == "审核"
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk))
    response = client.post(url, {"comment": "同意"})
    assert response.status_code in (200, 302)
    page.refresh_from_db()


def test_editor_writes_and_submits_reviewer_approval_makes_it_live(client, study_root, editor, reviewer):
    branch = OrganisationUnitFactory(name="第一党支部")
    login(client, editor)
    assert client.get(add_url("coursepage", study_root)).status_code == 200
    response = client.post(add_url("coursepage", study_root), course_form("action-submit", audience_units=[branch.pk]))
    assert response.status_code == 302, response.content.decode()[:3000]
    course = CoursePage.objects.get(slug="charter")
    assert not course.live
    assert course.owner == editor
    state = course.current_workflow_state
    assert state.workflow.name == "审核发布" and state.status == "in_progress"
    assert not course.permissions_for_user(editor).can_publish()

    approve(client, reviewer, course)
    assert course.live
    assert course.audience_statuses == [MemberStatus.PROBATIONARY, MemberStatus.FULL]
    assert list(course.audience_units.all()) == [branch]

    login(client, editor)
    response = client.post(add_url("lessonpage", course), lesson_form("action-submit"))
    assert response.status_code == 302, response.content.decode()[:3000]
    lesson = LessonPage.objects.get(slug="general-program")
    assert not lesson.live and list(selectors.lessons_of(course)) == []
    approve(client, reviewer, lesson)
    assert lesson.live
    assert list(selectors.lessons_of(course)) == [lesson.page_ptr.specific]
    assert LessonPage.objects.get(pk=lesson.pk).required_seconds == 300


def test_editor_cannot_publish_directly(client, study_root, editor):
    login(client, editor)
    client.post(add_url("coursepage", study_root), course_form("action-publish", slug="bypass"))
    course = CoursePage.objects.get(slug="bypass")
    assert not course.live
    live_course = CourseFactory(title="已发布课程", slug="live-course")
    client.post(add_url("lessonpage", live_course), lesson_form("action-publish", slug="bypass-lesson"))
    assert not LessonPage.objects.get(slug="bypass-lesson").live
    edit = reverse("wagtailadmin_pages:edit", args=(live_course.pk,))
    client.post(edit, course_form("action-publish", title="越权修改", slug="live-course"))
    live_course.refresh_from_db()
    assert live_course.title == "已发布课程"  # the live version is untouched; the edit is a draft


def test_branch_editor_cannot_touch_study_pages(client, home, study_root):
    branch = OrganisationUnitFactory(name="第一党支部")
    SectionPageFactory(parent=home, slug="branch-1", title="第一党支部", organisation=branch)
    setup_roles()
    branch_editor = UserFactory(username="branch1", groups=["编辑·第一党支部"])
    course = CourseFactory(title="学习贯彻党章", slug="charter")
    assert not study_root.permissions_for_user(branch_editor).can_add_subpage()
    assert not course.permissions_for_user(branch_editor).can_edit()

    login(client, branch_editor)
    assert_refused_in_admin(client.get(add_url("coursepage", study_root)))
    assert_refused_in_admin(client.get(add_url("lessonpage", course)))
    assert_refused_in_admin(client.get(reverse("wagtailadmin_pages:edit", args=(course.pk,))))
    client.post(add_url("coursepage", study_root), course_form("action-submit", slug="sneaked-in"))
    client.post(
        reverse("wagtailadmin_pages:edit", args=(course.pk,)),
        course_form("action-submit", title="被改的标题", slug="charter"),
    )
    assert not CoursePage.objects.filter(slug="sneaked-in").exists()
    course.refresh_from_db()
    assert course.title == "学习贯彻党章" and course.get_latest_revision().content["title"] == "学习贯彻党章"
    assert not Page.objects.filter(title="被改的标题").exists()
