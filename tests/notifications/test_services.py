"""Drafting, sending (audience by unit subtree and status, frozen), reminding, and the
member's read / confirm / reply rules."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.accounts.models import MemberStatus
from cms.notifications import selectors, services
from cms.notifications.models import NoticeRecipient

from .conftest import later, member


def names(notice):
    return sorted(notice.recipients.values_list("user__username", flat=True))


def test_a_unit_reaches_everyone_below_it_and_no_one_else(sent, people, org):
    notice = sent(audience_units=[org.general])
    assert names(notice) == ["reader", "sec1"]
    assert set(notice.recipients.values_list("unit__name", flat=True)) == {"第一党支部"}

    everyone = sent(audience_units=[org.committee])
    assert names(everyone) == ["other", "reader", "sec1", "sec2"]


def test_statuses_narrow_the_audience_and_transferred_out_never_receive(sent, org):
    member(org.first, MemberStatus.PROBATIONARY, username="probation")
    member(org.first, MemberStatus.TRANSFERRED_OUT, username="gone")
    gone_inactive = member(org.first, MemberStatus.FULL, username="inactive")
    gone_inactive.is_active = False
    gone_inactive.save()

    assert names(sent(audience_statuses=["probationary"])) == ["probation"]
    assert "gone" not in names(sent()) and "inactive" not in names(sent())


def test_the_recipient_list_is_frozen_at_sending(sent, org):
    notice = sent()
    member(org.first, username="latecomer")
    assert "latecomer" not in names(notice)


INSERT_RECIPIENTS = 'INSERT INTO "notifications_noticerecipient"'


def test_sending_costs_a_fixed_number_of_queries(sent, draft, people, org):
    for n in range(30):
        member(org.first, username=f"m{n}")
    notice = draft()
    with CaptureQueriesContext(connection) as few:
        services.send(people.admin, notice)
    for n in range(30, 130):
        member(org.second, username=f"m{n}")
    bigger = draft(audience_units=[org.committee])
    with CaptureQueriesContext(connection) as many:
        services.send(people.admin, bigger)
    assert bigger.recipients.count() == 134

    def others(context):  # the inserts come in batches (SQLite caps the parameters of one)
        return [q["sql"] for q in context.captured_queries if not q["sql"].startswith(INSERT_RECIPIENTS)]

    assert len(others(many)) == len(others(few))
    assert len(many) - len(others(many)) <= 2


def test_a_notice_is_sent_once(sent, people):
    notice = sent()
    with pytest.raises(ValidationError, match="已发送"):
        services.send(people.admin, notice)
    assert notice.recipients.count() == 2


def test_a_sent_notice_cannot_be_edited(sent, people, org):
    notice = sent()
    with pytest.raises(ValidationError, match="已发送"):
        services.save_draft(
            people.admin,
            notice,
            title="改",
            body="改",
            kind="other",
            sender_unit=org.committee,
            audience_units=[org.second],
            audience_statuses=[],
            requires_confirmation=False,
            requires_reply=False,
            deadline=None,
        )


def test_a_secretary_sends_only_within_their_unit(draft, people, org):
    notice = draft(people.secretary, sender_unit=org.first, audience_units=[org.first])
    assert services.send(people.secretary, notice) == 2
    with pytest.raises(ValidationError) as error:
        draft(people.secretary, sender_unit=org.first, audience_units=[org.first, org.second])
    assert "第二党支部" in error.value.message_dict["audience_units"][0]
    with pytest.raises(ValidationError):
        draft(people.secretary, sender_unit=org.committee)
    with pytest.raises(PermissionDenied):
        draft(people.recipient, sender_unit=org.first)


def test_the_office_draft_is_not_the_secretarys_to_send(draft, people):
    notice = draft(people.editor)
    with pytest.raises(ValidationError):
        services.send(people.secretary, notice)


def test_a_reply_needs_a_deadline_and_sending_after_it_is_refused(draft, people):
    with pytest.raises(ValidationError) as error:
        draft(requires_reply=True)
    assert "截止时间" in error.value.message_dict["deadline"][0]
    notice = draft(requires_reply=True, deadline=later(1))
    with pytest.raises(ValidationError, match="截止时间已过"):
        services.send(people.admin, notice, now=later(2))


def test_an_empty_audience_is_refused(draft, people, org):
    notice = draft(audience_units=[org.first], audience_statuses=["applicant"])
    with pytest.raises(ValidationError, match="没有可接收"):
        services.send(people.admin, notice)
    assert notice.recipients.count() == 0
    notice.refresh_from_db()
    assert notice.sent_at is None


def test_confirm_is_idempotent_and_marks_read(sent, people):
    notice = sent(requires_confirmation=True)
    receipt = selectors.my_receipt(people.recipient, notice.pk)
    first = timezone.now()
    services.confirm(receipt, now=first)
    again = selectors.my_receipt(people.recipient, notice.pk)
    services.confirm(again, now=first + dt.timedelta(hours=1))
    row = NoticeRecipient.objects.get(pk=receipt.pk)
    assert row.confirmed_at == first and row.read_at == first


def test_confirming_a_notice_that_asks_none_is_refused(sent, people):
    receipt = selectors.my_receipt(people.recipient, sent().pk)
    with pytest.raises(ValidationError, match="不需要确认"):
        services.confirm(receipt)


def test_reply_rules(sent, people):
    notice = sent(requires_reply=True, deadline=later(1))
    receipt = selectors.my_receipt(people.recipient, notice.pk)
    with pytest.raises(ValidationError) as error:
        services.reply(receipt, attend=False, reason="   ")
    assert error.value.message_dict["reason"] == ["选择“不参加”时请填写原因。"]
    services.reply(receipt, attend=False, reason="出差")
    services.reply(receipt, attend=True, reason="出差")  # changed before the deadline
    row = NoticeRecipient.objects.get(pk=receipt.pk)
    assert (row.reply, row.reason) == ("attend", "") and row.read_at is not None
    with pytest.raises(ValidationError, match="回执截止时间（.*）已过"):
        services.reply(receipt, attend=False, reason="生病", now=later(2))
    assert NoticeRecipient.objects.get(pk=receipt.pk).reply == "attend"


def test_remind_reaches_only_the_outstanding_in_scope(sent, people, org, django_capture_on_commit_callbacks):
    notice = sent(audience_units=[org.committee], requires_confirmation=True)
    services.confirm(selectors.my_receipt(people.recipient, notice.pk))
    with django_capture_on_commit_callbacks(execute=True) as hooks:
        assert services.remind(people.secretary, notice) == 1  # 钱书记 only: 赵读者 confirmed
    assert len(hooks) == 1  # events.notice_reminded, after the commit
    assert services.remind(people.admin, notice) == 2  # 钱书记 was reminded a moment ago
    reminded = set(
        NoticeRecipient.objects.filter(notice=notice, last_reminded_at__isnull=False).values_list(
            "user__username", flat=True
        )
    )
    assert reminded == {"sec1", "sec2", "other"}


def test_a_second_click_does_not_remind_the_same_people_again(sent, people):
    notice = sent()
    start = timezone.now()
    assert services.remind(people.secretary, notice, now=start) == 2
    with pytest.raises(ValidationError, match="60 分钟内已提醒过"):
        services.remind(people.secretary, notice, now=start + dt.timedelta(minutes=59))
    assert services.remind(people.secretary, notice, now=start + dt.timedelta(minutes=61)) == 2
    services.mark_read(selectors.my_receipt(people.recipient, notice.pk))
    assert services.remind(people.secretary, notice, now=start + dt.timedelta(hours=3)) == 1


def test_sending_calls_the_hook_once_after_commit(draft, people, django_capture_on_commit_callbacks):
    notice = draft()
    with django_capture_on_commit_callbacks(execute=True) as hooks:
        services.send(people.admin, notice)
    assert len(hooks) == 1


def test_unknown_or_transferred_out_statuses_are_refused(draft):
    for statuses in (["transferred_out"], ["nonsense"]):
        with pytest.raises(ValidationError) as error:
            draft(audience_statuses=statuses)
        assert error.value.message_dict["audience_statuses"] == ["请从列表中选择面向身份。"]
