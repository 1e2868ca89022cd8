"""The member study endpoints as the /member/ pages use them (docs/member-api.md)."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.rich_text import RichText

from cms.accounts.models import MemberStatus
from cms.study.models import LessonProgress
from tests.factories import (
    CourseFactory,
    DocumentFactory,
    ImageFactory,
    LessonFactory,
    LessonProgressFactory,
    NewsPageFactory,
    SectionPageFactory,
)
from tests.study.conftest import API, client_for, member

NOT_FOUND = {"detail": "未找到该课程或课时，或您不在学习范围内。", "code": "not_found"}
COURSE_KEYS = {
    "id",
    "title",
    "intro",
    "required",
    "deadline",
    "lessons_total",
    "lessons_completed",
    "seconds_spent",
    "state",
    "state_label",
    "overdue",
}
LESSON_SUMMARY_KEYS = {"id", "title", "summary", "required_seconds", "seconds_spent", "opened", "completed"}
PROGRESS_KEYS = {
    "lesson_id",
    "opened_at",
    "last_active_at",
    "seconds_spent",
    "required_seconds",
    "completed",
    "completed_at",
}


@pytest.fixture
def person(org):
    return member(org.first, last_name="李", first_name="学员")


@pytest.fixture
def course(org):
    return CourseFactory(
        title="学习贯彻党章",
        intro="逐章学习党章。",
        required=True,
        deadline=datetime.date(2026, 12, 31),
        audience_units=[org.first],
    )


@pytest.fixture
def client(person):
    return client_for(person)


def rewind(person, lesson, seconds):
    """Pretend the last report was ``seconds`` ago (the API uses the real clock)."""
    moment = timezone.now() - datetime.timedelta(seconds=seconds)
    LessonProgress.objects.filter(user=person, lesson=lesson).update(last_active_at=moment, credited_until=moment)


def test_course_list_shows_my_courses_with_my_progress(client, person, course, org):
    first = LessonFactory(parent=course)
    LessonFactory(parent=course)
    LessonProgressFactory(user=person, lesson=first, seconds_spent=75, completed_at=timezone.now())
    CourseFactory(title="第二党支部的课程", audience_units=[org.second])

    response = client.get(API + "courses/")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": course.pk,
            "title": "学习贯彻党章",
            "intro": "逐章学习党章。",
            "required": True,
            "deadline": "2026-12-31",
            "lessons_total": 2,
            "lessons_completed": 1,
            "seconds_spent": 75,
            "state": "in_progress",
            "state_label": "学习中",
            "overdue": False,
        }
    ]


def test_course_detail_lists_live_lessons_in_order_with_my_progress(client, person, course):
    first = LessonFactory(parent=course, title="第一课", summary="总纲", min_study_minutes=2)
    LessonFactory(parent=course, title="草稿课", publish=False)
    second = LessonFactory(
        parent=course, title="第二课", min_study_minutes=None, body=[("paragraph", RichText(f"<p>{'党' * 300}</p>"))]
    )
    LessonProgressFactory(user=person, lesson=first, seconds_spent=40)

    data = client.get(f"{API}courses/{course.pk}/").json()

    assert set(data) == COURSE_KEYS | {"lessons"}
    assert (data["lessons_total"], data["state"], data["seconds_spent"]) == (2, "in_progress", 40)
    assert data["lessons"] == [
        {
            "id": first.pk,
            "title": "第一课",
            "summary": "总纲",
            "required_seconds": 120,
            "seconds_spent": 40,
            "opened": True,
            "completed": False,
        },
        {
            "id": second.pk,
            "title": "第二课",
            "summary": "课时摘要",
            "required_seconds": 30,
            "seconds_spent": 0,
            "opened": False,
            "completed": False,
        },
    ]
    assert all(set(lesson) == LESSON_SUMMARY_KEYS for lesson in data["lessons"])


def test_reading_a_lesson_has_no_side_effect(client, person, course):
    first, second, third = (LessonFactory(parent=course, title=t) for t in ("一", "二", "三"))

    for _ in range(2):
        response = client.get(f"{API}lessons/{second.pk}/")
        assert response.status_code == 200

    data = response.json()
    assert data["course"] == {"id": course.pk, "title": "学习贯彻党章"}
    assert (data["id"], data["title"], data["previous_id"], data["next_id"]) == (second.pk, "二", first.pk, third.pk)
    assert (data["required_seconds"], data["progress"]) == (60, None)
    assert "课时正文：学习党章，坚定理想信念。" in data["body_html"]
    assert not LessonProgress.objects.exists()


def test_studying_a_lesson_from_opening_to_completion(client, person, course):
    lesson = LessonFactory(parent=course, min_study_minutes=1)
    url = f"{API}lessons/{lesson.pk}/"

    opened = client.post(url + "open/")
    assert opened.status_code == 200
    assert set(opened.json()) == PROGRESS_KEYS
    assert opened.json()["opened_at"].endswith("+08:00")
    assert (opened.json()["seconds_spent"], opened.json()["required_seconds"]) == (0, 60)

    # Reporting more than the clock allows is credited only up to the clock.
    rewind(person, lesson, 20)
    assert client.post(url + "heartbeat/", {"seconds": 120}, format="json").json()["seconds_spent"] == 25

    early = client.post(url + "complete/")
    assert early.status_code == 400
    assert early.json() == {
        "detail": "学习时长还不够：本课时至少需要学习 1 分钟，已学习 25 秒，还需约 35 秒。",
        "code": "invalid",
    }

    rewind(person, lesson, 40)
    assert client.post(url + "heartbeat/", {"seconds": 40}, format="json").json()["seconds_spent"] == 65
    done = client.post(url + "complete/")
    assert done.status_code == 200
    assert done.json()["completed"] is True and done.json()["completed_at"].endswith("+08:00")

    assert client.get(url).json()["progress"]["completed"] is True
    course_data = client.get(f"{API}courses/{course.pk}/").json()
    assert (course_data["state"], course_data["state_label"], course_data["lessons_completed"]) == (
        "completed",
        "已学完",
        1,
    )


@pytest.mark.parametrize(
    "body", [{"seconds": 0}, {"seconds": 121}, {"seconds": "abc"}, {"seconds": None}, {"seconds": 1.5}, {}]
)
def test_bad_heartbeats_are_field_errors_in_chinese(client, person, course, body):
    lesson = LessonFactory(parent=course)
    client.post(f"{API}lessons/{lesson.pk}/open/")

    response = client.post(f"{API}lessons/{lesson.pk}/heartbeat/", body, format="json")

    assert response.status_code == 400
    message = "学习时长须为 1 到 120 之间的整数（秒）。"
    assert response.json() == {"detail": message, "code": "invalid", "fields": {"seconds": [message]}}
    assert LessonProgress.objects.get().seconds_spent == 0


def test_heartbeat_before_opening_is_refused_in_chinese(client, course):
    lesson = LessonFactory(parent=course)
    response = client.post(f"{API}lessons/{lesson.pk}/heartbeat/", {"seconds": 30}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "请先打开课时再上报学习时长。", "code": "invalid"}


def test_a_heartbeat_for_an_opened_lesson_since_withdrawn_is_the_same_404(client, person, course, org):
    """The heartbeat reads the lesson together with the person's record: a record kept from
    before the lesson, or its course, was withdrawn must not make it count."""
    lesson = LessonFactory(parent=course)
    hidden = CourseFactory(audience_units=[org.first])
    in_hidden = LessonFactory(parent=hidden)
    for target in (lesson, in_hidden):
        assert client.post(f"{API}lessons/{target.pk}/open/").status_code == 200
        rewind(person, target, 60)
    lesson.unpublish()
    hidden.unpublish()

    for target in (lesson, in_hidden):
        response = client.post(f"{API}lessons/{target.pk}/heartbeat/", {"seconds": 30}, format="json")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert set(LessonProgress.objects.values_list("seconds_spent", flat=True)) == {0}


@pytest.mark.parametrize("change", ["transferred_out", "record_deleted"])
def test_a_heartbeat_after_the_party_record_changed_is_the_same_404(client, person, course, change):
    """The heartbeat reads the Party record in the same query as the progress row: one
    transferred out, or gone, since the lesson was opened must not count."""
    lesson = LessonFactory(parent=course)
    assert client.post(f"{API}lessons/{lesson.pk}/open/").status_code == 200
    rewind(person, lesson, 60)
    if change == "transferred_out":
        person.membership.status = MemberStatus.TRANSFERRED_OUT
        person.membership.save()
    else:
        person.membership.delete()

    response = client.post(f"{API}lessons/{lesson.pk}/heartbeat/", {"seconds": 30}, format="json")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert LessonProgress.objects.get().seconds_spent == 0


@pytest.mark.parametrize("payload", ['{"seconds": 3', "[1, 2", "不是 JSON"])
def test_malformed_json_is_a_chinese_400(client, course, payload):
    lesson = LessonFactory(parent=course)
    client.post(f"{API}lessons/{lesson.pk}/open/")
    response = client.post(f"{API}lessons/{lesson.pk}/heartbeat/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "请求内容不是有效的 JSON，请刷新页面后重试。", "code": "invalid"}


def test_missing_unpublished_and_foreign_objects_are_one_and_the_same_404(client, course, org):
    lesson = LessonFactory(parent=course)
    draft = LessonFactory(parent=course, publish=False)
    foreign_course = CourseFactory(audience_units=[org.second])
    foreign = LessonFactory(parent=foreign_course)
    for_activists = CourseFactory(audience_statuses=[MemberStatus.ACTIVIST])
    hidden = CourseFactory(audience_units=[org.first])
    hidden_lesson = LessonFactory(parent=hidden)
    hidden.unpublish()

    gets = [
        f"courses/{foreign_course.pk}/",
        f"courses/{for_activists.pk}/",
        f"courses/{hidden.pk}/",
        "courses/999999/",
        f"courses/{lesson.pk}/",  # a lesson id is not a course
        f"lessons/{draft.pk}/",
        f"lessons/{foreign.pk}/",
        f"lessons/{hidden_lesson.pk}/",
        f"lessons/{course.pk}/",
        "lessons/999999/",
    ]
    for path in gets:
        response = client.get(API + path)
        assert (path, response.status_code, response.json()) == (path, 404, NOT_FOUND)
    for target in (draft, foreign, hidden_lesson):
        for step in ("open", "heartbeat", "complete"):
            response = client.post(f"{API}lessons/{target.pk}/{step}/", {"seconds": 30}, format="json")
            assert (step, response.status_code, response.json()) == (step, 404, NOT_FOUND)
    assert not LessonProgress.objects.exists()


@pytest.mark.parametrize("path", ["courses/abc/", "courses/12345678901234567890123/", "lessons/-1/", "nothing/"])
def test_unknown_paths_under_the_api_answer_json_not_the_public_site(client, path):
    response = client.get(API + path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_my_progress_sums_up_my_courses(client, person, course, org):
    lesson = LessonFactory(parent=course)
    LessonProgressFactory(user=person, lesson=lesson, seconds_spent=90, completed_at=timezone.now())
    late = CourseFactory(title="逾期课程", required=True, deadline=timezone.localdate() - datetime.timedelta(days=1))
    late_lesson = LessonFactory(parent=late)
    LessonProgressFactory(user=person, lesson=late_lesson, seconds_spent=30)
    CourseFactory(title="选修", required=False)
    CourseFactory(title="别的支部", audience_units=[org.second])

    data = client.get(API + "progress/").json()

    assert [c["title"] for c in data["courses"]] == ["逾期课程", "学习贯彻党章", "选修"]
    assert [c["overdue"] for c in data["courses"]] == [True, False, False]
    assert [c["state"] for c in data["courses"]] == ["in_progress", "completed", "not_started"]
    assert data["totals"] == {"courses": 3, "completed": 1, "overdue": 1, "seconds_spent": 120}


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_query_counts_do_not_grow_with_courses_and_lessons(client, person, org, django_assert_max_num_queries):
    def add_course(lessons: int):
        course = CourseFactory(audience_units=[org.first, org.general])
        for index in range(lessons):
            lesson = LessonFactory(parent=course, min_study_minutes=None if index % 2 else 1)
            LessonProgressFactory(user=person, lesson=lesson, seconds_spent=20)
        return course

    first = add_course(1)
    small = {path: _queries(client, API + path) for path in ("courses/", "progress/", f"courses/{first.pk}/")}
    big = add_course(10)
    for _ in range(9):
        add_course(3)

    for path in ("courses/", "progress/"):
        with django_assert_max_num_queries(12):
            assert len(client.get(API + path).json()) > 0
        assert _queries(client, API + path) == small[path], path
    assert _queries(client, f"{API}courses/{big.pk}/") == small[f"courses/{first.pk}/"]
    with django_assert_max_num_queries(12):
        assert len(client.get(f"{API}courses/{big.pk}/").json()["lessons"]) == 10


def test_body_html_uses_the_site_block_rules_with_site_relative_urls(home, client, course):
    image, poster = ImageFactory(title="合影"), ImageFactory(title="封面")
    video = DocumentFactory(title="党课视频", file__filename="lecture.mp4")
    audio = DocumentFactory(title="党课音频", file__filename="lecture.mp3")
    attachment = DocumentFactory(title="学习材料", file__filename="notes.pdf")
    section = SectionPageFactory(parent=home, title="要闻", slug="yaowen")
    news = NewsPageFactory(parent=section, title="一则新闻", slug="news-1")
    body = [
        ("heading", "学习提示"),
        (
            "paragraph",
            RichText(
                f'<p>阅读<a linktype="document" id="{attachment.pk}">学习材料</a>和'
                f'<a linktype="page" id="{news.pk}">一则新闻</a>。</p>'
            ),
        ),
        ("image", {"image": image, "caption": "党委集中学习"}),
        (
            "gallery",
            {"title": "活动组图", "images": [{"image": image, "caption": "一"}, {"image": poster, "caption": "二"}]},
        ),
        ("video", {"video": video, "poster": poster, "caption": "专题党课"}),
        ("audio", {"audio": audio, "caption": "录音"}),
        ("attachment", {"document": attachment, "title": ""}),
        (
            "table",
            {
                "data": [["项目", "要求"], ["学时", "两小时"]],
                "first_row_is_table_header": True,
                "table_caption": "学习安排",
            },
        ),
        ("quote", {"text": "不忘初心，牢记使命。", "source": "党的十九大报告"}),
    ]
    lesson = LessonFactory(parent=course, body=body)

    html = client.get(f"{API}lessons/{lesson.pk}/").json()["body_html"]
    soup = BeautifulSoup(html, "html.parser")

    assert '<h2 id="学习提示">学习提示</h2>' in html  # the site's heading, with the toc's anchor
    assert f'href="/documents/{attachment.pk}/notes.pdf"' in html
    assert 'href="/yaowen/news-1/"' in html
    images = soup.find_all("img")
    assert len(images) == 3 and all(img["src"].startswith("/media/images/") and img["alt"] for img in images)
    # The attachment as the public site shows it: a download link with the file's type and size.
    download = soup.find("p", class_="dj-attachment")
    assert download.a["href"] == f"/documents/{attachment.pk}/notes.pdf" and "download" in download.a.attrs
    assert download.get_text() == "学习材料（PDF，1 KB）"
    player = BeautifulSoup(html, "html.parser").find("video")
    assert {"controls", "playsinline", "webkit-playsinline", "x5-playsinline"} <= set(player.attrs)
    assert player["preload"] == "metadata" and player["src"] == f"/documents/{video.pk}/lecture.mp4"
    assert player["poster"].startswith("/media/images/")
    sound = BeautifulSoup(html, "html.parser").find("audio")
    assert "controls" in sound.attrs and sound["preload"] == "none"
    assert sound["src"] == f"/documents/{audio.pk}/lecture.mp3"
    assert "<th>项目</th>" in html and "<p><strong>学习安排</strong></p>" in html
    assert soup.blockquote.find_all("p")[-1].get_text() == "—— 党的十九大报告"
    # Everything points at this host: no scheme, no protocol-relative "//host".
    assert "://" not in html and '="//' not in html


def test_lesson_body_html_carries_no_payload_that_can_run(home, client, course):
    """The member page inserts body_html with innerHTML: the same hostile corpus as the public
    pages (tests/hostile.py), typed into every block and saved raw through the model API."""
    from html import escape as html_escape

    from tests.hostile import PAYLOADS, storable, unsafe_markup

    image = ImageFactory(title="图片")
    document = DocumentFactory(title="文件", file__filename="notes.pdf")
    body = []
    for payload in map(storable, PAYLOADS):
        body += [
            ("heading", payload[:120]),
            (
                "paragraph",
                RichText(
                    f"<p>{html_escape(payload)}</p><p>{payload}</p>"
                    f'<p><a href="{html_escape(payload, quote=True)}">链接</a></p>'
                ),
            ),
            ("image", {"image": image, "caption": payload}),
            ("table", {"data": [[payload]], "first_row_is_table_header": False, "table_caption": payload}),
            ("attachment", {"document": document, "title": payload}),
            ("quote", {"text": payload, "source": payload}),
        ]
    lesson = LessonFactory(parent=course, title=PAYLOADS[0], summary=PAYLOADS[1], body=body)

    data = client.get(f"{API}lessons/{lesson.pk}/").json()

    assert not unsafe_markup(data["body_html"], allowed_scripts=set(), where="body_html")
    # Titles and summaries are JSON strings, shown with textContent by dj-member.js.
    assert data["title"] == PAYLOADS[0] and data["summary"] == PAYLOADS[1]
    assert html_escape(PAYLOADS[5]) in data["body_html"]  # typed text stays visible as text
