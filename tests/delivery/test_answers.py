"""咨询答复: the member who asked gets an email when an official answers, if they chose email
for answers; nobody else, no group robot, and never the answer's text."""

from __future__ import annotations

import email

import pytest

from cms.accounts.models import BranchRole, MemberStatus
from cms.accounts.roles import ANSWERER
from cms.consultations import services as consultations
from cms.delivery import sending
from cms.delivery.models import Delivery, EmailPreference
from tests.factories import UserFactory
from tests.study.conftest import member

pytestmark = pytest.mark.django_db

PRIVATE_ANSWER = "您的组织关系转接材料已收到ANSWERMARK"


def _text(message) -> str:
    parsed = email.message_from_string(message.data)
    parts = [parsed] if not parsed.is_multipart() else [p for p in parsed.walk() if not p.is_multipart()]
    return str(email.header.make_header(email.header.decode_header(parsed["Subject"]))) + "\n".join(
        part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8") for part in parts
    )


@pytest.fixture
def people(org):
    return {
        "asker": member(org.first, MemberStatus.FULL, username="asker", email="asker@example.cn"),
        "quiet": member(org.first, MemberStatus.FULL, username="quiet", email="quiet@example.cn"),
        "secretary": member(org.first, MemberStatus.FULL, BranchRole.SECRETARY, username="sec", email="sec@example.cn"),
        "office": UserFactory(username="office", groups=[ANSWERER]),
    }


def _ask_and_answer(people, asker, django_capture_on_commit_callbacks):
    item = consultations.ask(asker, kind="question", addressee="branch", subject="组织关系转接", text="请问如何转接？")
    with django_capture_on_commit_callbacks(execute=True):
        consultations.answer(people["secretary"], item, PRIVATE_ANSWER)
    return item


def test_the_asker_who_chose_email_gets_one_and_no_robot_does(
    org, people, channel, webhook_server, smtp, django_capture_on_commit_callbacks
):
    channel(webhook_server.address(), name="党委群", topics=["publish", "notice"])
    channel(webhook_server.address(), name="一支部群", unit=org.first)
    EmailPreference.objects.create(user=people["asker"], answers=True)
    EmailPreference.objects.create(user=people["quiet"], answers=True, notices=True)
    item = _ask_and_answer(people, people["asker"], django_capture_on_commit_callbacks)

    assert sending.deliver_due() == {"sent": 1}
    assert webhook_server.requests == []
    [message] = smtp.messages
    assert message.to == ["asker@example.cn"]
    text = _text(message)
    assert "组织关系转接" in text and f"/member/consultation/?id={item.pk}" in text
    assert "ANSWERMARK" not in text  # the answer is read in the member area, not in a mailbox
    assert Delivery.objects.get().event == "consultation_answered"


def test_no_email_without_the_askers_choice(org, people, smtp, django_capture_on_commit_callbacks):
    EmailPreference.objects.create(user=people["asker"], notices=True, answers=False)
    _ask_and_answer(people, people["asker"], django_capture_on_commit_callbacks)
    assert Delivery.objects.count() == 0
    assert sending.deliver_due() == {}
    assert smtp.messages == []
