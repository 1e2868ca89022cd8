"""Editors preview study pages in the admin like public pages (members never reach these views)."""

from django.urls import reverse

from cms.accounts.roles import EDITOR
from cms.bootstrap.roles import setup_roles
from tests.factories import CourseFactory, LessonFactory, UserFactory, rich_body


def test_editor_previews_a_lesson_and_its_course(client, home):
    setup_roles()
    editor = UserFactory(groups=[EDITOR])
    course = CourseFactory(title="学习贯彻党章", required=True)
    lesson = LessonFactory(parent=course, title="党章总纲导读", body=rich_body("党章是党的根本大法。"))
    client.force_login(editor)

    lesson_preview = client.get(reverse("wagtailadmin_pages:view_draft", args=[lesson.pk]))
    course_preview = client.get(reverse("wagtailadmin_pages:view_draft", args=[course.pk]))

    assert lesson_preview.status_code == 200
    assert "党章是党的根本大法。" in lesson_preview.content.decode()
    assert course_preview.status_code == 200
    page = course_preview.content.decode()
    assert "必修" in page and "党章总纲导读" in page
