import datetime

import pytest
from django.core.exceptions import ValidationError

from cms.accounts.models import MemberStatus as S
from cms.accounts.services import allowed_next_statuses, change_status
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def secretary():
    return UserFactory(username="secretary")


def test_walking_the_whole_pipeline_records_dated_history(secretary):
    membership = MembershipFactory(status=S.APPLICANT)
    steps = [
        (S.ACTIVIST, D(2023, 3, 1)),
        (S.CANDIDATE, D(2024, 3, 1)),
        (S.PROBATIONARY, D(2024, 7, 1)),
        (S.FULL, D(2025, 7, 1)),
    ]
    for status, on in steps:
        change_status(membership, status, on=on, by=secretary, note="支部大会通过")
    assert membership.status == S.FULL
    assert membership.joined_party_on == D(2024, 7, 1)  # the day they became 预备党员
    history = list(membership.status_changes.values_list("from_status", "to_status", "changed_on"))
    assert history == [
        (S.APPLICANT, S.ACTIVIST, D(2023, 3, 1)),
        (S.ACTIVIST, S.CANDIDATE, D(2024, 3, 1)),
        (S.CANDIDATE, S.PROBATIONARY, D(2024, 7, 1)),
        (S.PROBATIONARY, S.FULL, D(2025, 7, 1)),
    ]
    assert {c.recorded_by for c in membership.status_changes.all()} == {secretary}
    assert membership.status_changes.first().note == "支部大会通过"


@pytest.mark.parametrize(
    "start, target, message",
    [
        (S.APPLICANT, S.CANDIDATE, "下一步只能是「入党积极分子」"),
        (S.ACTIVIST, S.APPLICANT, "下一步只能是「发展对象」"),
        (S.CANDIDATE, S.FULL, "不能从「发展对象」变更为「正式党员」"),
        (S.FULL, S.PROBATIONARY, "只能办理转出"),
        (S.FULL, S.FULL, "已经是「正式党员」"),
        (S.TRANSFERRED_OUT, S.APPLICANT, "已转出"),
    ],
)
def test_skipping_or_going_back_is_refused_and_nothing_is_recorded(secretary, start, target, message):
    membership = MembershipFactory(status=start)
    with pytest.raises(ValidationError, match=message):
        change_status(membership, target, on=D(2025, 1, 1), by=secretary)
    membership.refresh_from_db()
    assert membership.status == start
    assert not membership.status_changes.exists()


@pytest.mark.parametrize("start", [S.APPLICANT, S.CANDIDATE, S.FULL])
def test_transfer_out_from_any_step(secretary, start):
    membership = MembershipFactory(status=start)
    change = change_status(membership, S.TRANSFERRED_OUT, on=D(2025, 5, 4), by=secretary, note="转至市直机关")
    assert membership.status == S.TRANSFERRED_OUT
    assert (change.from_status, change.to_status, change.note) == (start, S.TRANSFERRED_OUT, "转至市直机关")
    assert allowed_next_statuses(S.TRANSFERRED_OUT) == []


def test_dates_cannot_go_backwards_or_into_the_future(secretary):
    membership = MembershipFactory(status=S.APPLICANT)
    change_status(membership, S.ACTIVIST, on=D(2024, 5, 1), by=secretary)
    with pytest.raises(ValidationError, match="不能早于上一次变更"):
        change_status(membership, S.CANDIDATE, on=D(2024, 4, 1), by=secretary)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        change_status(membership, S.CANDIDATE, on=D.today() + datetime.timedelta(days=2), by=secretary)
    assert membership.status_changes.count() == 1


def test_unknown_status_is_refused(secretary):
    with pytest.raises(ValidationError, match="未知的身份"):
        change_status(MembershipFactory(), "member", on=D(2025, 1, 1), by=secretary)
