"""States, follow-ups, first answer time and the working-day SLA."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cms.audit.models import Action, AuditEntry
from cms.consultations import selectors, services
from cms.consultations.models import Message, State

from .conftest import at, pdf


def test_asking_to_the_branch_addresses_the_askers_branch(org, people, ask):
    item = ask(now=at("2026-11-30 09:00"))
    assert item.unit == org.first and item.state == State.PENDING
    assert [m.kind for m in item.messages.all()] == [Message.Kind.QUESTION]
    assert item.due_at == at("2026-12-07 09:00")


def test_the_committee_office_is_the_top_committee(org, people, ask):
    assert ask(addressee="committee").unit == org.committee


def test_the_committee_office_unit_can_be_named_in_settings(org, people, ask, settings):
    settings.CONSULTATION_COMMITTEE_UNIT = "第二党支部"
    assert ask(addressee="committee").unit == org.second


def test_a_member_without_a_branch_is_told_to_ask_the_committee(org, ask):
    from tests.factories import UserFactory

    with pytest.raises(ValidationError) as error:
        ask(UserFactory(username="loner"))
    assert error.value.message_dict == {"addressee": ["您尚未编入党支部，请选择“党委办公室”。"]}


def test_every_bad_field_gets_its_own_message(people, ask):
    with pytest.raises(ValidationError) as error:
        ask(kind="gossip", subject="  ", text="x" * 5001, attachment=pdf("a.exe", b"MZ"))
    assert set(error.value.message_dict) == {"kind", "subject", "text", "attachment"}
    assert error.value.message_dict["text"] == ["内容不能超过 5000 字。"]


def test_first_answer_time_is_kept_and_follow_ups_reopen(people, ask):
    item = ask(now=at("2026-11-30 09:00"))
    services.answer(people.secretary, item, "第一次答复", now=at("2026-12-01 10:00"))
    item.refresh_from_db()
    assert item.state == State.ANSWERED and item.first_answered_at == at("2026-12-01 10:00")
    assert item.due_at is None

    services.follow_up(people.asker, item, "还想问", now=at("2026-12-04 16:00"))  # Friday
    item.refresh_from_db()
    assert item.state == State.PENDING
    assert item.awaiting_since == at("2026-12-04 16:00") and item.due_at == at("2026-12-11 16:00")

    services.answer(people.organiser, item, "第二次答复", now=at("2026-12-05 10:00"))
    item.refresh_from_db()
    assert item.first_answered_at == at("2026-12-01 10:00")  # unchanged
    assert item.last_answered_at == at("2026-12-05 10:00")
    assert [m.kind for m in item.messages.all()] == ["question", "answer", "follow_up", "answer"]


def test_a_second_follow_up_before_an_answer_keeps_the_first_deadline(people, ask):
    item = ask(now=at("2026-11-30 09:00"))
    services.follow_up(people.asker, item, "补充", now=at("2026-12-02 09:00"))
    item.refresh_from_db()
    assert item.due_at == at("2026-12-07 09:00")


def test_closed_items_take_no_more_follow_ups_or_answers(people, ask):
    item = ask()
    services.close(people.asker, item)
    with pytest.raises(ValidationError, match="已关闭"):
        services.follow_up(people.asker, item, "再问")
    with pytest.raises(ValidationError, match="已关闭"):
        services.answer(people.secretary, item, "答")
    with pytest.raises(ValidationError, match="已经关闭"):
        services.close(people.secretary, item)


@pytest.mark.parametrize(
    "start, due",
    [
        ("2026-11-27 15:00", "2026-12-04 15:00"),  # Friday → next Friday
        ("2026-11-28 10:00", "2026-12-07 00:00"),  # Saturday counts from Monday 00:00
        ("2026-11-29 23:59", "2026-12-07 00:00"),  # Sunday too
        ("2026-11-30 09:00", "2026-12-07 09:00"),  # Monday → next Monday
    ],
)
def test_working_days_skip_weekends(start, due, settings):
    settings.CONSULTATION_SLA_WORKING_DAYS = 5
    assert services.due_after(at(start)) == at(due)


def test_configured_holidays_are_not_working_days(settings):
    settings.CONSULTATION_HOLIDAYS = ["2026-12-01", "2026-12-02"]
    assert services.due_after(at("2026-11-30 09:00")) == at("2026-12-09 09:00")
    settings.CONSULTATION_SLA_WORKING_DAYS = 1
    assert services.due_after(at("2026-12-01 12:00")) == at("2026-12-04 00:00")


def test_overdue_is_pending_past_the_deadline(people, ask):
    item = ask(now=at("2026-11-30 09:00"))
    scope = selectors.answer_scope(people.secretary)
    assert not selectors.overdue(selectors.answerable(scope), now=at("2026-12-07 08:59")).exists()
    assert list(selectors.overdue(selectors.answerable(scope), now=at("2026-12-07 09:01"))) == [item]
    assert selectors.dashboard_counts(people.secretary, now=at("2026-12-08 00:00")) == {"pending": 1, "overdue": 1}
    services.answer(people.secretary, item, "答", now=at("2026-12-08 00:00"))
    assert selectors.dashboard_counts(people.secretary, now=at("2026-12-09 00:00")) == {"pending": 0, "overdue": 0}


def test_only_the_addressed_units_officers_and_administrators_answer(org, people, ask):
    branch_item, office_item = ask(), ask(addressee="committee")
    for person in (people.secretary, people.organiser, people.admin):
        assert selectors.can_answer(person, branch_item)
    for person in (people.other_secretary, people.answerer, people.asker, people.other_member):
        assert not selectors.can_answer(person, branch_item)
        with pytest.raises(PermissionDenied):
            services.answer(person, branch_item, "答")
    assert selectors.can_answer(people.answerer, office_item) and selectors.can_answer(people.admin, office_item)
    assert not selectors.can_answer(people.secretary, office_item)


def test_a_transferred_secretary_no_longer_answers(people, ask):
    from cms.accounts.models import MemberStatus

    item = ask()
    people.secretary.membership.status = MemberStatus.TRANSFERRED_OUT
    people.secretary.membership.save()
    people.secretary.refresh_from_db()
    assert not selectors.can_answer(people.secretary, item)


def test_only_the_asker_follows_up(people, ask):
    item = ask()
    with pytest.raises(PermissionDenied):
        services.follow_up(people.secretary, item, "冒充追问")
    with pytest.raises(PermissionDenied):
        services.close(people.other_member, item)


def test_answers_and_officials_closing_are_audited_without_the_subject(people, ask):
    item = ask(subject="赵提问的私事")
    services.answer(people.secretary, item, "答")
    services.close(people.secretary, item)
    entries = list(AuditEntry.objects.filter(object_type="consultation").order_by("seq"))
    assert [e.action for e in entries] == [Action.CONSULTATION_ANSWERED, Action.CONSULTATION_CLOSED]
    assert all(e.actor_username == "sec1" and e.object_repr == f"咨询 #{item.pk}" for e in entries)
    assert "私事" not in str([e.details for e in entries])


def test_the_asker_closing_is_no_audited_decision(people, ask):
    services.close(people.asker, ask())
    assert not AuditEntry.objects.filter(object_type="consultation").exists()


def test_badge_counts_answers_not_yet_seen(people, ask):
    first, second = ask(), ask(subject="第二个")
    assert selectors.unseen_answers(people.asker) == 0
    services.answer(people.secretary, first, "答1")
    services.answer(people.secretary, second, "答2")
    assert selectors.unseen_answers(people.asker) == 2
    services.mark_seen(people.asker, first)
    assert selectors.unseen_answers(people.asker) == 1
    services.mark_seen(people.secretary, second)  # not the asker: no effect
    assert selectors.unseen_answers(people.asker) == 1


def test_attachments_are_checked_and_stored_outside_any_served_folder(people, ask, settings):
    item = ask(attachment=pdf("我的材料.pdf"))
    message = item.messages.get()
    assert message.attachment_name == "我的材料.pdf" and message.attachment_size == len(
        b"%PDF-1.4 consultation attachment"
    )
    assert message.attachment.name.startswith("consultations/") and "我的材料" not in message.attachment.name
    with pytest.raises(ValidationError, match="内容与扩展名"):
        ask(attachment=pdf("假的.pdf", b"<html>not a pdf</html>"))
    with pytest.raises(ValidationError, match="图片无法识别"):
        ask(attachment=pdf("photo.jpg", b"not an image"))
    settings.CONSULTATION_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="附件不能超过"):
        ask(attachment=pdf())


def test_photos_lose_their_metadata(people, ask):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SECRETCAMERA"
    Image.new("RGB", (8, 8), "red").save(buffer, format="JPEG", exif=exif)
    assert b"SECRETCAMERA" in buffer.getvalue()
    item = ask(attachment=pdf("照片.jpg", buffer.getvalue()))
    stored = item.messages.get().attachment
    stored.open("rb")
    assert b"SECRETCAMERA" not in stored.read()
