"""Two tabs (or a double click) submitting at the same moment count once; the same attempt
retried at the same moment stores one response. Real threads, real connections."""

import threading

import pytest
from django.db import connection

from cms.accounts.models import MemberStatus
from cms.feedback import services
from cms.feedback.models import Participation, Response
from tests.factories import FeedbackFormFactory
from tests.feedback.conftest import ALL_TYPES, key, member, valid_answers

pytestmark = pytest.mark.django_db(transaction=True)


def race(calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.fixture
def setting(home, org):
    person = member(org.first, MemberStatus.FULL, username="racer")
    form = FeedbackFormFactory(audience_units=[org.first], fields=ALL_TYPES)
    return person, form


def test_two_tabs_submitting_at_once_count_once(setting):
    person, form = setting

    outcomes = race([lambda: services.submit(person, form, valid_answers(form), key()) for _ in range(2)])

    successes = [o for o in outcomes if isinstance(o, Participation)]
    refusals = [o for o in outcomes if isinstance(o, services.AlreadySubmitted)]
    assert (len(successes), len(refusals)) == (1, 1), outcomes
    assert Participation.objects.filter(form=form).count() == 1
    assert Response.objects.filter(form=form).count() == 1


def test_a_retry_racing_the_first_attempt_returns_the_same_result(setting):
    person, form = setting
    attempt = key()

    outcomes = race([lambda: services.submit(person, form, valid_answers(form), attempt) for _ in range(2)])

    assert all(isinstance(o, Participation) for o in outcomes), outcomes
    assert outcomes[0].pk == outcomes[1].pk
    assert Response.objects.filter(form=form).count() == 1
