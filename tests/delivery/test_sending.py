"""Fan-out and the delivery task against real local servers: rows per matching channel,
rate limits that make messages wait (never dropped), a dead robot that does not hold up
another, retries with backoff, permanent errors that stop a channel, email over SMTP."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cms.delivery import sending, services, tasks
from cms.delivery.models import Channel, Delivery, EmailPreference
from tests.factories import UserFactory

from .conftest import DRILL
from .robot_servers import dead_address

S = Delivery.Status
pytestmark = pytest.mark.django_db


def drill(title="支部党员大会通知", **obj):
    return {"title": title, **obj}


def test_announce_picks_the_units_channels_and_the_committees(org, channel, webhook_server):
    whole = channel(webhook_server.address("/ok"), name="党委群")
    committee = channel(webhook_server.address("/ok"), name="机关党委群", unit=org.committee)
    first = channel(webhook_server.address("/ok"), name="一支部群", unit=org.first)
    channel(webhook_server.address("/ok"), name="二支部群", unit=org.second)
    channel(webhook_server.address("/ok"), name="只要网站发布", unit=org.first, topics=["publish"])
    channel(webhook_server.address("/ok"), name="停用的", unit=org.first, enabled=False)

    tasks_before = DBTaskResult.objects.count()
    assert services.announce(DRILL, drill(units=[org.first])) == 3

    got = set(Delivery.objects.values_list("channel__name", flat=True))
    assert got == {whole.name, committee.name, first.name}
    assert set(Delivery.objects.values_list("status", flat=True)) == {S.QUEUED}
    assert DBTaskResult.objects.count() == tasks_before  # enqueued on commit, not before


def test_announce_enqueues_one_task_on_commit(org, channel, webhook_server, django_capture_on_commit_callbacks):
    channel(webhook_server.address("/ok"), unit=org.first)
    channel(webhook_server.address("/ok"))
    before = DBTaskResult.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        services.announce(DRILL, drill(units=[org.first]))
    assert DBTaskResult.objects.count() == before + 1


def test_deliver_due_sends_and_records(org, channel, webhook_server):
    hook = channel(webhook_server.address("/ok"), unit=org.first)
    services.announce(DRILL, drill("组织生活会", text="请准时参加", units=[org.first]))

    result = sending.deliver_due()

    assert result == {"sent": 1}
    assert [m["title"] for m in webhook_server.received] == ["组织生活会"]
    assert webhook_server.requests[0].headers["User-Agent"].startswith("dangjian-cms-delivery")
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (S.SENT, 1, "")
    assert delivery.sent_at is not None
    hook.refresh_from_db()
    assert hook.last_success_at is not None and hook.failing_since is None


def test_a_rate_limited_robot_sends_twenty_a_minute_and_the_rest_wait(
    org, channel, webhook_server, platforms, monkeypatch
):
    """WeCom's and DingTalk's 20 messages per minute per robot: the 21st waits for the window."""
    monkeypatch.setattr(platforms.PLATFORMS["webhook"], "PER_MINUTE", 20)
    channel(webhook_server.address("/ok"), unit=org.first)
    for n in range(21):
        services.announce(DRILL, drill(f"通知{n:02d}", units=[org.first]))
    scheduled = []

    before = timezone.now()
    sending.deliver_due(schedule=scheduled.append)

    assert [m["title"] for m in webhook_server.received] == [f"通知{n:02d}" for n in range(20)]  # in order
    waiting = Delivery.objects.exclude(status=S.SENT).get()
    assert waiting.title == "通知20" and waiting.status == S.QUEUED and waiting.attempts == 0
    assert before + dt.timedelta(seconds=59) < waiting.next_attempt_at < timezone.now() + dt.timedelta(seconds=61)
    assert scheduled == [waiting.next_attempt_at]

    # Another worker running now sends nothing more: the budget is counted in the database.
    sending.deliver_due(schedule=scheduled.append)
    assert len(webhook_server.received) == 20
    # A minute later it goes (the clock moved on: the twenty were sent 61 s ago).
    Delivery.objects.filter(status=S.SENT).update(attempted_at=timezone.now() - dt.timedelta(seconds=61))
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    sending.deliver_due()
    assert len(webhook_server.received) == 21


def test_the_next_run_is_a_deferred_task(org, channel, webhook_server, platforms, monkeypatch):
    monkeypatch.setattr(platforms.PLATFORMS["webhook"], "PER_MINUTE", 1)
    channel(webhook_server.address("/ok"), unit=org.first)
    services.announce(DRILL, drill("一", units=[org.first]))
    services.announce(DRILL, drill("二", units=[org.first]))

    DBTaskResult.objects.all().delete()
    tasks.deliver_due.call()

    waiting = Delivery.objects.get(status=S.QUEUED)
    task = DBTaskResult.objects.get()
    assert task.run_after == waiting.next_attempt_at


@pytest.mark.parametrize("dead", ["refused", "sleeping"])
def test_a_dead_robot_does_not_delay_another_channel(org, channel, webhook_server, dead, settings):
    settings.DELIVERY_TIMEOUT_SECONDS = 3.0
    webhook_server.sleep_seconds = 6.0
    dead_url = dead_address() if dead == "refused" else webhook_server.address("/slow")
    stuck = channel(dead_url, name="坏的", unit=org.first)
    channel(webhook_server.address("/ok"), name="好的", unit=org.first)
    for n in range(3):
        services.announce(DRILL, drill(f"通知{n}", units=[org.first]))

    started = time.monotonic()
    sending.deliver_due()

    good = [r for r in webhook_server.requests if r.path == "/ok"]
    assert [r.json["title"] for r in good] == ["通知0", "通知1", "通知2"]
    assert good[-1].at - started < 1.5  # long before the dead robot's 3 s timeout
    # The dead robot cost one timeout, not one per message: it stopped at the first failure.
    assert time.monotonic() - started < 3.0 + 2.0
    failed = Delivery.objects.filter(channel=stuck).order_by("id")
    assert [d.status for d in failed] == [S.RETRYING, S.QUEUED, S.QUEUED]
    first = failed[0]
    assert first.attempts == 1
    assert first.last_error.startswith("连接失败" if dead == "refused" else "等待应答超时")
    # Backoff: 30 s; the messages behind it keep their order and wait with it.
    assert abs((first.next_attempt_at - timezone.now()).total_seconds() - 30) < 5
    assert {d.next_attempt_at for d in failed} == {first.next_attempt_at}
    stuck.refresh_from_db()
    assert stuck.failing_since is not None and stuck.last_error == first.last_error
    assert stuck.stopped_reason == ""


def test_a_dead_robot_does_not_hold_back_the_emails(org, channel, webhook_server, smtp, settings):
    settings.DELIVERY_TIMEOUT_SECONDS = 3.0
    webhook_server.sleep_seconds = 6.0
    channel(webhook_server.address("/slow"), name="坏的", unit=org.first)
    readers = [UserFactory(email=f"reader{n}@example.cn", organisation=org.first) for n in range(5)]
    for reader in readers:
        EmailPreference.objects.create(user=reader, notices=True)
    services.announce(DRILL, drill("支部党员大会通知", units=[org.first]), recipients=readers)

    started = time.monotonic()
    result = sending.deliver_due()

    assert result["sent"] == 5 and result["retrying"] == 1  # the robot waits for its retry
    assert sorted(m.to[0] for m in smtp.messages) == sorted(r.email for r in readers)
    # Every email was in the mailbox long before the robot's 3 s timeout ran out.
    assert max(m.at for m in smtp.messages) - started < 1.5
    assert Delivery.objects.filter(email__startswith="reader", status=S.SENT).count() == 5


def test_retries_back_off_and_end_in_failed(org, channel, webhook_server):
    hook = channel(webhook_server.address("/error"), unit=org.first)
    services.announce(DRILL, drill(units=[org.first]))
    delays = []
    for _ in range(sending.MAX_ATTEMPTS):
        Delivery.objects.update(next_attempt_at=timezone.now())
        sending.deliver_due()
        d = Delivery.objects.get()
        delays.append(round((d.next_attempt_at - timezone.now()).total_seconds() / 10) * 10)
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == (S.FAILED, sending.MAX_ATTEMPTS)
    assert delays[:4] == [30, 120, 600, 3600]
    assert len(webhook_server.requests) == sending.MAX_ATTEMPTS
    hook.refresh_from_db()
    assert hook.stopped_reason == ""  # a server error is not a reason to stop the channel


def test_throttling_waits_without_counting_as_an_attempt(org, channel, webhook_server):
    channel(webhook_server.address("/throttle"), unit=org.first)
    services.announce(DRILL, drill(units=[org.first]))
    sending.deliver_due()
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == (S.RETRYING, 0)
    assert d.last_error.startswith("平台限流")
    assert 25 < (d.next_attempt_at - timezone.now()).total_seconds() <= 30  # Retry-After: 30


def test_a_permanent_error_stops_the_channel_until_it_is_edited(org, channel, webhook_server):
    hook = channel(webhook_server.address("/refuse"), unit=org.first)
    services.announce(DRILL, drill("一", units=[org.first]))
    services.announce(DRILL, drill("二", units=[org.first]))

    sending.deliver_due()

    first, second = Delivery.objects.order_by("id")
    assert (first.status, second.status) == (S.FAILED, S.QUEUED)
    assert "403" in first.last_error
    hook.refresh_from_db()
    assert "403" in hook.stopped_reason and hook.health == "已自动停用"
    # Nothing more goes to it, and nothing is scheduled for it.
    services.announce(DRILL, drill("三", units=[org.first]))
    assert sending.deliver_due() == {}
    assert len(webhook_server.requests) == 1

    # The administrator fixes the address and saves: the stop is lifted and the waiting go.
    before = services.channel_state(hook)
    hook.address = webhook_server.address("/ok")
    hook.save()
    services.channel_saved(hook, before=before)
    hook.refresh_from_db()
    assert hook.stopped_reason == "" and hook.active
    sending.deliver_due()
    assert [m["title"] for m in webhook_server.received] == ["二", "三"]


def test_a_delivery_is_claimed_once_and_a_dead_workers_claim_expires(org, channel, webhook_server, settings):
    hook = channel(webhook_server.address("/ok"), unit=org.first)
    services.announce(DRILL, drill(units=[org.first]))
    now = timezone.now()

    claimed = sending.claim_channel(hook.pk, now)
    assert claimed is not None and len(claimed[1]) == 1
    assert sending.claim_channel(hook.pk, now) is None  # another worker finds nothing due

    # The first worker died mid-way: after the stale period the delivery is due again.
    later = now + dt.timedelta(seconds=settings.DELIVERY_SENDING_STALE_SECONDS + 1)
    again = sending.claim_channel(hook.pk, later)
    assert again is not None and again[1][0].pk == claimed[1][0].pk


def test_disabled_and_deleted_channels_drop_their_queue(org, channel, webhook_server):
    off = channel(webhook_server.address("/ok"), unit=org.first)
    gone = channel(webhook_server.address("/ok"), unit=org.second)
    services.announce(DRILL, drill(units=[org.first, org.second]))
    Channel.objects.filter(pk=off.pk).update(enabled=False)
    gone.delete()
    sending.deliver_due()
    assert set(Delivery.objects.values_list("status", flat=True)) == {S.DROPPED}
    assert webhook_server.requests == []


def test_email_for_members_who_chose_it(org, smtp):
    wants = UserFactory(email="wants@example.cn", organisation=org.first)
    EmailPreference.objects.create(user=wants, notices=True)
    answers_only = UserFactory(email="answers@example.cn")
    EmailPreference.objects.create(user=answers_only, answers=True)
    no_choice = UserFactory(email="quiet@example.cn")
    no_address = UserFactory(email="")
    EmailPreference.objects.create(user=no_address, notices=True)

    count = services.announce(
        DRILL,
        drill("缴纳党费提醒", text="请于月底前缴纳", units=[]),
        recipients=[wants, answers_only, no_choice, no_address],
    )
    assert count == 1
    result = sending.deliver_due()

    assert result == {"sent": 1}
    assert [m.to for m in smtp.messages] == [["wants@example.cn"]]
    assert "请于月底前缴纳" in smtp.messages[0].data or "=E8=AF=B7" in smtp.messages[0].data
    assert Delivery.objects.get().status == S.SENT


def test_email_when_the_mail_server_is_down_is_retried(org, settings):
    from .robot_servers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    user = UserFactory(email="a@example.cn")
    EmailPreference.objects.create(user=user, notices=True)
    services.announce(DRILL, drill(units=[]), recipients=[user])
    sending.deliver_due()
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == (S.RETRYING, 1)
    assert d.last_error.startswith("无法连接邮件服务器")


def test_recipients_as_queryset_ids_or_recipient_rows(org, smtp):
    from types import SimpleNamespace

    from cms.accounts.models import User

    people = [UserFactory(email=f"p{n}@example.cn") for n in range(3)]
    for person in people:
        EmailPreference.objects.create(user=person, notices=True)
    services.announce(DRILL, drill("一"), recipients=User.objects.filter(pk=people[0].pk))
    services.announce(DRILL, drill("二"), recipients=User.objects.filter(pk=people[1].pk).values_list("pk", flat=True))
    services.announce(DRILL, drill("三"), recipients=[SimpleNamespace(user_id=people[2].pk)])
    got = dict(Delivery.objects.values_list("title", "email"))
    assert got == {"一": "p0@example.cn", "二": "p1@example.cn", "三": "p2@example.cn"}


def test_a_per_second_limit_paces_within_one_run(org, channel, webhook_server, platforms, monkeypatch):
    """Feishu's 5 messages per second: a run sends five, waits for the window, sends the rest."""
    monkeypatch.setattr(platforms.PLATFORMS["webhook"], "PER_SECOND", 5)
    channel(webhook_server.address("/ok"), unit=org.first)
    for n in range(7):
        services.announce(DRILL, drill(f"通知{n}", units=[org.first]))

    sending.deliver_due(schedule=pytest.fail)  # nothing left for a later run

    arrived = [r.at for r in webhook_server.requests]
    assert [m["title"] for m in webhook_server.received] == [f"通知{n}" for n in range(7)]
    assert arrived[5] - arrived[0] >= 0.9  # the sixth waited for the one-second window
    assert set(Delivery.objects.values_list("status", flat=True)) == {S.SENT}


def test_hostile_titles_reach_email_as_one_line_subjects(org, smtp):
    from email import message_from_string
    from email.header import decode_header, make_header

    user = UserFactory(email="a@example.cn")
    EmailPreference.objects.create(user=user, notices=True)
    title = "通知\r\nBcc: victim@example.cn\r\n<script>alert(1)</script>"
    services.announce(DRILL, drill(title), recipients=[user])
    assert sending.deliver_due() == {"sent": 1}
    mail = message_from_string(smtp.messages[0].data)
    assert mail["Bcc"] is None and smtp.messages[0].to == ["a@example.cn"]
    assert str(make_header(decode_header(mail["Subject"]))) == "通知 Bcc: victim@example.cn <script>alert(1)</script>"


def test_the_workers_periodic_check_requeues_what_a_dead_worker_left(org, channel, webhook_server, settings):
    from django.core.management import call_command

    hook = channel(webhook_server.address("/ok"), unit=org.first)
    services.announce(DRILL, drill(units=[org.first]))
    assert sending.claim_channel(hook.pk, timezone.now())  # the worker that claimed it died
    DBTaskResult.objects.all().delete()
    call_command("deliver_due")
    assert DBTaskResult.objects.count() == 0  # still within the stale period: nothing due

    stale = timezone.now() - dt.timedelta(seconds=settings.DELIVERY_SENDING_STALE_SECONDS + 1)
    Delivery.objects.update(attempted_at=stale)
    call_command("deliver_due")
    assert DBTaskResult.objects.count() == 1
    tasks.deliver_due.call()
    assert Delivery.objects.get().status == S.SENT and len(webhook_server.received) == 1
