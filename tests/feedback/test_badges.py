"""The count on the 我的问卷 tab (session ``user.badges["forms"]``): forms open now, in the
person's audience, not answered yet."""

import datetime

from django.utils import timezone

from cms.feedback import services
from tests.factories import FeedbackFormFactory

from .conftest import ALL_TYPES, API, client_for, key, valid_answers


def badges(user) -> dict:
    return client_for(user).get(API + "session/").json()["user"]["badges"]


def test_open_unanswered_forms_are_counted_until_answered(people, org):
    member = people["in_audience"]
    now = timezone.now()
    first = FeedbackFormFactory(audience_units=[org.first], fields=ALL_TYPES)
    FeedbackFormFactory(audience_units=[org.first])
    FeedbackFormFactory(
        audience_units=[org.first],
        closes_at=now - datetime.timedelta(hours=1),
        opens_at=now - datetime.timedelta(days=2),
    )
    FeedbackFormFactory(audience_units=[org.first], opens_at=now + datetime.timedelta(days=1))
    FeedbackFormFactory(audience_units=[org.second])
    FeedbackFormFactory(audience_units=[org.first], publish=False)

    assert badges(member) == {"forms": 2}
    assert badges(people["other_branch"]) == {"forms": 1}

    services.submit(member, first, valid_answers(first), key())
    assert badges(member) == {"forms": 1}
