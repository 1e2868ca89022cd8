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


@pytest.fixture
def root(home):
    from cms.assessment.services import ensure_quiz_root

    return ensure_quiz_root()
