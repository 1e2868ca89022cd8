"""People and a small organisation for the assessment tests (shared with the study tests),
plus helpers to take a quiz the way the member pages do."""

import uuid

import pytest

from tests.study.conftest import administrator, client_for, member, org  # noqa: F401 (fixture)

API = "/api/member/"


def key() -> str:
    return str(uuid.uuid4())


def shown_key(attempt, question, original_letter: str) -> str:
    """The key this attempt shows for an option's original letter."""
    item = next(i for i in attempt.items if i["q"] == question.pk)
    return "ABCDEF"[item["o"].index(original_letter)]


def hand_in(person, attempt_id: int, submission: str | None = None, *, now=None):
    """交卷 and the worker's next pass: the attempt as stored, graded."""
    from cms.assessment import services
    from cms.assessment.models import Attempt

    services.submit(person, attempt_id, submission or key(), now=now)
    services.grade_submitted(now=now)
    return Attempt.objects.get(pk=attempt_id)


def submit_over_api(client, attempt_id: int, submission: str | None = None):
    """POST submit/ as the page does (202: the score follows), the worker's next pass, then
    GET result/ as the result page does: the graded result's response."""
    from cms.assessment import services

    handed_in = client.post(API + f"attempts/{attempt_id}/submit/", {"key": submission or key()}, format="json")
    assert handed_in.status_code == 202, handed_in.content
    services.grade_submitted()
    return client.get(API + f"attempts/{attempt_id}/result/")


@pytest.fixture
def root(home):
    from cms.assessment.services import ensure_quiz_root

    return ensure_quiz_root()
