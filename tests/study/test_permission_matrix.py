"""Every member endpoint × every kind of person, in one table; plus list contents and CSRF.

The course is for 正式党员 and 预备党员 of 第一党支部 (under 机关党总支 under 机关党委)."""

from types import SimpleNamespace

import pytest
from wagtail.models import CollectionViewRestriction

from cms.accounts.models import BranchRole, MemberStatus
from cms.study.models import LessonProgress
from tests.access import assert_refused_in_admin, assert_sent_to_admin_log_in, member_log_in_redirect
from tests.factories import (
    PASSWORD,
    CollectionFactory,
    CourseFactory,
    DocumentFactory,
    ImageFactory,
    LessonFactory,
    LessonProgressFactory,
)
from tests.study.conftest import API, administrator, client_for, member

PERSONAS = ["anonymous", "other_branch", "in_audience", "wrong_status", "secretary", "admin"]
STAFF = {"secretary", "admin"}  # the personas with admin access (a secretary has the 支部书记 group)

#: endpoint → expected status per persona, in PERSONAS order.
#: POST session/ logs in with the persona's own password (anonymous: a wrong one).
MATRIX = {
    "GET session/": (200, 200, 200, 200, 200, 200),
    "POST session/": (400, 200, 200, 200, 200, 200),
    "DELETE session/": (204, 204, 204, 204, 204, 204),
    # Changes one's own password (the way past password_change_required).
    "POST password/": (401, 200, 200, 200, 200, 200),
    "GET courses/": (401, 200, 200, 200, 200, 200),
    "GET courses/{course}/": (401, 404, 200, 404, 200, 200),
    "GET lessons/{lesson}/": (401, 404, 200, 404, 200, 200),
    "POST lessons/{lesson}/open/": (401, 404, 200, 404, 200, 200),
    "POST lessons/{lesson}/heartbeat/": (401, 404, 200, 404, 200, 200),
    "POST lessons/{lesson}/complete/": (401, 404, 200, 404, 200, 200),
    "GET progress/": (401, 200, 200, 200, 200, 200),
    "GET /api/schema/": (200, 200, 200, 200, 200, 200),
    "GET /api/docs/": (200, 200, 200, 200, 200, 200),
    # The same for everyone, no personal data; 503 here because no worker runs in this test.
    "GET /api/health/": (503, 503, 503, 503, 503, 503),
    # The lesson's files in a log-in-restricted collection (cms/media): the lesson's audience
    # rule; anonymous visitors are sent to the member log-in (302), others get a plain 404.
    "GET {image}": (302, 404, 200, 404, 200, 200),
    "GET {rendition}": (302, 404, 200, 404, 200, 200),
    "GET {document}": (302, 404, 200, 404, 200, 200),
    # The audit log (cms/audit) and its export: 管理员 only; everyone else is sent away.
    "GET /admin/audit/": (302, 302, 302, 302, 302, 200),
    "GET /admin/audit/export/": (302, 302, 302, 302, 302, 200),
}
CASES = [
    (endpoint, persona, expected[index])
    for endpoint, expected in MATRIX.items()
    for index, persona in enumerate(PERSONAS)
]
UNSAFE = [endpoint for endpoint in MATRIX if not endpoint.startswith("GET ")]


@pytest.fixture
def world(home, org):
    people = {
        "anonymous": None,
        "other_branch": member(org.second, MemberStatus.FULL),
        "in_audience": member(org.first, MemberStatus.FULL),
        "wrong_status": member(org.first, MemberStatus.ACTIVIST),
        "secretary": member(org.first, MemberStatus.FULL, BranchRole.SECRETARY),
        "admin": administrator(),
    }
    course = CourseFactory(
        title="一支部党员课",
        audience_units=[org.first],
        audience_statuses=[MemberStatus.FULL, MemberStatus.PROBATIONARY],
    )
    private = CollectionFactory.create("课程资料")
    CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
    image = ImageFactory(collection=private)
    document = DocumentFactory(collection=private, file__data=b"%PDF-1.4 PRIVATE")
    lesson = LessonFactory(
        parent=course,
        min_study_minutes=1,
        body=[("image", {"image": image, "caption": ""}), ("attachment", {"document": document, "title": ""})],
    )
    # Everyone has a record already (e.g. from before a status change), so heartbeat and
    # complete are refused by the audience rule, not by a missing record; and enough time
    # to complete.
    for person in people.values():
        if person is not None:
            LessonProgressFactory(user=person, lesson=lesson, seconds_spent=60)
    # What else exists: another branch's course, one for everyone, a draft, an unpublished one.
    other = CourseFactory(title="二支部课程", audience_units=[org.second])
    LessonFactory(parent=other)
    everyone = CourseFactory(title="全体课程")
    CourseFactory(title="草稿课程", publish=False)
    withdrawn = CourseFactory(title="已撤下课程")
    withdrawn.unpublish()
    urls = {
        "course": course.pk,
        "lesson": lesson.pk,
        "image": image.file.url,
        "rendition": image.get_rendition("max-1200x1200").url,
        "document": document.url,
    }
    return SimpleNamespace(people=people, course=course, lesson=lesson, other=other, everyone=everyone, urls=urls)


def url_of(endpoint, world) -> str:
    url = endpoint.split(" ")[1].format(**world.urls)
    return url if url.startswith("/") else API + url


def request(client, endpoint, world, person):
    method = endpoint.split(" ")[0]
    url = url_of(endpoint, world)
    body = None
    if endpoint == "POST session/":
        body = {"username": person.username if person else "nobody", "password": PASSWORD if person else "wrong"}
    elif endpoint == "POST password/":
        body = {"old_password": PASSWORD, "new_password": "Neues-Passwort-9"}
    elif endpoint.endswith("heartbeat/"):
        body = {"seconds": 30}
    return getattr(client, method.lower())(url, body, format="json")


@pytest.mark.parametrize(("endpoint", "persona", "expected"), CASES, ids=[f"{e} · {p}" for e, p, _ in CASES])
def test_permission_matrix(world, endpoint, persona, expected):
    person = world.people[persona]

    response = request(client_for(person), endpoint, world, person)

    assert response.status_code == expected, response.content
    if expected == 401:
        assert response.json() == {"detail": "登录已过期或尚未登录，请重新登录。", "code": "not_authenticated"}
        assert response["WWW-Authenticate"]
    url = url_of(endpoint, world)
    if expected == 302 and url.startswith("/admin/") and persona in STAFF:
        assert_refused_in_admin(response)  # in the admin, without the right: the dashboard
    elif expected == 302 and url.startswith("/admin/"):
        assert_sent_to_admin_log_in(response, url)
    elif expected == 302:
        assert response["Location"] == member_log_in_redirect(url)  # the member log-in, then back
    if expected == 404 and not url_of(endpoint, world).startswith("/api/"):
        assert b"PRIVATE" not in response.content
    elif expected == 404:
        assert response.json() == {"detail": "未找到该课程或课时，或您不在学习范围内。", "code": "not_found"}
    if expected in (401, 404) and person is not None:
        record = LessonProgress.objects.get(user=person, lesson=world.lesson)
        assert (record.seconds_spent, record.completed_at) == (60, None)  # nothing was written


#: Which live courses each person finds in courses/ and progress/ (never another audience's).
VISIBLE = {
    "other_branch": {"二支部课程", "全体课程"},
    "in_audience": {"一支部党员课", "全体课程"},
    "wrong_status": {"全体课程"},
    "secretary": {"一支部党员课", "全体课程"},
    "admin": {"一支部党员课", "二支部课程", "全体课程"},
}


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_lists_show_only_courses_in_my_audience(world, persona):
    client = client_for(world.people[persona])

    listed = {course["title"] for course in client.get(API + "courses/").json()}
    progress = client.get(API + "progress/").json()

    assert listed == VISIBLE[persona]
    assert {course["title"] for course in progress["courses"]} == VISIBLE[persona]
    assert progress["totals"]["courses"] == len(VISIBLE[persona])


@pytest.mark.parametrize("endpoint", UNSAFE)
@pytest.mark.parametrize("persona", ["anonymous", "in_audience"])
def test_unsafe_requests_without_the_csrf_token_are_refused(world, endpoint, persona):
    person = world.people[persona]
    client = client_for(person, enforce_csrf=True)

    response = request(client, endpoint, world, person)

    assert response.status_code == 403
    assert response.json() == {"detail": "页面已过期或请求来源无法验证，请刷新页面后重试。", "code": "csrf_failed"}
    if person is not None:
        record = LessonProgress.objects.get(user=person, lesson=world.lesson)
        assert (record.seconds_spent, record.completed_at) == (60, None)
        assert client.get(API + "session/").json()["authenticated"] is True  # DELETE did not log out


@pytest.mark.parametrize("endpoint", UNSAFE)
def test_unsafe_requests_with_the_token_from_the_session_endpoint_pass(world, endpoint):
    person = world.people["in_audience"]
    client = client_for(person, enforce_csrf=True)
    token = client.get(API + "session/").cookies["csrftoken"].value
    client.credentials(HTTP_X_CSRFTOKEN=token)

    response = request(client, endpoint, world, person)

    assert response.status_code == MATRIX[endpoint][PERSONAS.index("in_audience")], response.content


#: Endpoints a person with an initial password still reaches (cms/accounts/first_login.py).
OPEN_BEFORE_PASSWORD_CHANGE = {
    "GET session/",
    "POST session/",
    "DELETE session/",
    "POST password/",
    "GET /api/schema/",
    "GET /api/docs/",
    "GET /api/health/",
}


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_an_initial_password_opens_nothing_but_the_session_and_the_password_change(world, endpoint):
    person = world.people["in_audience"]
    person.must_change_password = True
    person.save(update_fields=["must_change_password"])

    response = request(client_for(person), endpoint, world, person)

    if endpoint in OPEN_BEFORE_PASSWORD_CHANGE:
        assert response.status_code == MATRIX[endpoint][PERSONAS.index("in_audience")], response.content
    elif url_of(endpoint, world).startswith("/admin/"):
        # Admin pages: to the admin's own 请先修改初始密码 form, then back.
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/account/initial-password/?next=")
    elif not url_of(endpoint, world).startswith("/api/"):
        # Files: to the member area, which shows the password form and then opens them.
        assert response.status_code == 302
        assert response["Location"].startswith("/member/?next=")
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "password_change_required"
        record = LessonProgress.objects.get(user=person, lesson=world.lesson)
        assert (record.seconds_spent, record.completed_at) == (60, None)
