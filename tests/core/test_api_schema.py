"""schemathesis against the OpenAPI schema the API publishes (/api/schema/), for an
anonymous visitor and for a logged-in member: generated requests (valid and invalid) never
cause a 5xx, and every answer — status, content type, headers, body — is one the schema
describes. The requests go through the whole Django stack (middleware, CSRF, sessions,
lock-out) in this process, on the test database."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import ignored_auth, negative_data_rejection, positive_data_acceptance

from cms.accounts.models import MemberStatus
from cms.publishing.models import WorkerHeartbeat
from tests.factories import CourseFactory, LessonFactory
from tests.study.conftest import member, org  # noqa: F401 (org is a fixture)

# A fixed CSRF secret sent both as the cookie and the header, so unsafe requests reach the
# views instead of all stopping at the CSRF check (which has its own tests).
CSRF_SECRET = "schemathesisCSRFsecret0123456789"
EXAMPLES_PER_OPERATION = 30


def _openapi() -> dict:
    # Generated in this process rather than fetched: loading happens at collection, before
    # pytest-django has made the test database.
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), cls=DjangoJSONEncoder))


def _load_schema(*, generate_auth: bool):
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": generate_auth}})
    loaded = schemathesis.openapi.from_dict(_openapi(), config=config)
    loaded.app = get_wsgi_application()
    return loaded


# The member's requests always carry their session cookie, so schemathesis must not make up
# (or leave out) the cookie the schema names as the security scheme.
anonymous_schema = _load_schema(generate_auth=True)
member_schema = _load_schema(generate_auth=False)


@pytest.fixture(autouse=True)
def keep_test_connection():
    """What Django's test client does: the WSGI handler would close the connection (and so
    the test's transaction) at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def member_world(home, org):
    """A member in a course's audience with a lesson, so ids 1… can exist; a live worker, so
    /api/health/ is healthy (its 503 has its own tests)."""
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="schema-worker", hostname="another-host", pid=1, started_at=now, last_seen_at=now
    )
    person = member(org.first, MemberStatus.FULL, username="schema_member")
    course = CourseFactory(title="接口测试课程", audience_units=[org.first])
    LessonFactory(parent=course, min_study_minutes=1)
    # Forms (member and public) with every answerable question type, so ids 1… can exist.
    from tests.factories import FeedbackFormFactory, SectionPageFactory
    from tests.feedback.conftest import ALL_TYPES

    FeedbackFormFactory(title="接口测试问卷", audience_units=[org.first], fields=ALL_TYPES)
    FeedbackFormFactory(
        parent=SectionPageFactory(parent=home, slug="voice"),
        title="接口测试公开问卷",
        fields=[{"label": "内容", "field_type": "multiline"}],
    )
    # A quiz (cms/assessment) the member may take, so quiz and attempt ids 1… can exist.
    from tests.assessment.factories import QuestionFactory, QuizFactory

    QuizFactory(title="接口测试测验", questions=[QuestionFactory()], audience_units=[org.first])
    return person


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _call(case, cookies: dict, *, excluded: tuple = ()) -> None:
    headers = {"X-CSRFToken": CSRF_SECRET, "Origin": "http://localhost", "Referer": "http://localhost/"}
    # Log-in (or a password change) with made-up credentials is refused (400) although the
    # request is well formed; that is the point of a log-in, not a schema mismatch.
    if case.operation.path in ("/api/member/session/", "/api/member/password/"):
        excluded = (*excluded, positive_data_acceptance)
    # An uploaded file must really be what its name says (cms/core/uploads.py), which no
    # schema can state: a made-up "attachment" is refused (400) although well formed.
    # These two take multipart/form-data, which has no null and no types: the "invalid" body
    # schemathesis makes by turning a text field into null arrives as the four letters
    # "null", a valid text, and is rightly accepted.
    if case.operation.path in ("/api/member/consultations/", "/api/member/consultations/{id}/follow-ups/"):
        excluded = (*excluded, positive_data_acceptance, negative_data_rejection)
    # Practice from an empty notebook (or from knowledge points with no questions) is refused
    # (400 no_questions) although well formed: there is nothing to practise.
    if case.operation.path == "/api/member/practice/":
        excluded = (*excluded, positive_data_acceptance)
    case.call_and_validate(
        headers=headers, cookies={"csrftoken": CSRF_SECRET, **cookies}, excluded_checks=list(excluded)
    )


hypothesis_settings = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.django_db
@anonymous_schema.parametrize()
@hypothesis_settings
def test_anonymous(case, member_world):
    _call(case, {})


@pytest.mark.django_db
@member_schema.parametrize()
@hypothesis_settings
def test_member(case, member_world):
    # ignored_auth would resend our own cookie and see it accepted; that anonymous requests
    # are refused is what test_anonymous checks.
    _call(case, {"sessionid": _session_cookie(member_world)}, excluded=(ignored_auth,))


def test_schema_covers_every_api_route():
    """The fuzzing above only reaches what the schema lists: every API route is in it."""
    paths = set(_openapi()["paths"])
    for expected in (
        "/api/member/session/",
        "/api/member/password/",
        "/api/member/courses/",
        "/api/member/courses/{id}/",
        "/api/member/lessons/{id}/",
        "/api/member/lessons/{id}/open/",
        "/api/member/lessons/{id}/heartbeat/",
        "/api/member/lessons/{id}/complete/",
        "/api/member/progress/",
        "/api/site-builds/",
        "/api/site-builds/{id}/",
        "/api/health/",
        "/api/member/forms/",
        "/api/member/forms/{id}/",
        "/api/member/forms/{id}/draft/",
        "/api/member/forms/{id}/submit/",
        "/api/member/forms/{id}/files/",
        "/api/forms/{id}/submissions/",
        "/api/member/consultations/",
        "/api/member/consultations/{id}/",
        "/api/member/consultations/options/",
        "/api/member/consultations/{id}/follow-ups/",
        "/api/member/consultations/{id}/close/",
        "/api/member/consultations/{id}/messages/{message_id}/attachment/",
        "/api/member/quizzes/",
        "/api/member/quizzes/{id}/",
        "/api/member/quizzes/{id}/attempts/",
        "/api/member/attempts/",
        "/api/member/attempts/{id}/",
        "/api/member/attempts/{id}/answers/{question_id}/",
        "/api/member/attempts/{id}/submit/",
        "/api/member/attempts/{id}/result/",
        "/api/member/mastery/",
        "/api/member/notebook/",
        "/api/member/practice/",
        "/api/member/contests/{id}/ranking/",
    ):
        assert expected in paths
