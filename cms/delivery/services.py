"""Writes of the delivery app: fan-out of events into Delivery rows (``announce``), the
channel form's save rules and their audit entries, the test message, members' email choices.

Direction: services → tasks → sending (tasks never import this module)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from cms.accounts.models import OrganisationUnit, User
from cms.accounts.selectors import descendant_ids
from cms.audit.models import Action
from cms.audit.services import record

from . import events, tasks, transport
from .models import Channel, Delivery, EmailPreference, Topic

logger = logging.getLogger(__name__)


# Fan-out ---------------------------------------------------------------------------------


def _ids(values: Iterable) -> set[int]:
    return {getattr(value, "pk", value) for value in values if value is not None}


def channels_for(topic: str, unit_ids: set[int]) -> list[Channel]:
    """Enabled channels that get an event of ``topic`` concerning ``unit_ids`` (the rule is
    in cms/delivery/events.py's docstring). Stopped channels are included: their messages
    wait until an administrator repairs the channel."""
    chosen = []
    for channel in Channel.objects.filter(enabled=True).select_related("unit"):
        if topic not in (channel.topics or []):
            continue
        unit = channel.unit
        if unit is None or unit.pk in unit_ids:
            chosen.append(channel)
        elif unit.kind == OrganisationUnit.Kind.COMMITTEE:
            if unit.parent_id is None or unit_ids & set(descendant_ids(unit)):
                chosen.append(channel)
    return chosen


def _user_ids(recipients) -> QuerySet | set[int]:
    """Users as given: a queryset of users, a one-column queryset of user ids
    (``.values_list("user_id", flat=True)``), or users, rows with a ``user_id`` (a notice's
    recipient rows) or ids."""
    if isinstance(recipients, QuerySet):
        if recipients.model is User and not recipients.query.values_select:
            return recipients.values("pk")
        return recipients
    ids = set()
    for value in recipients:
        if isinstance(value, User):
            ids.add(value.pk)
        elif hasattr(value, "user_id"):
            ids.add(value.user_id)
        elif value is not None:
            ids.add(int(value))
    return ids


def _email_addresses(recipients, preference: str) -> list[str]:
    people = User.objects.filter(pk__in=_user_ids(recipients))
    people = people.filter(is_active=True, **{f"email_preference__{preference}": True}).exclude(email="")
    return sorted(set(people.values_list("email", flat=True)))


def announce(event_key: str, obj, *, units: Iterable | None = None, recipients: Iterable | None = None) -> int:
    """Queue ``event_key`` about ``obj`` for every matching channel and, for events with
    email, for the recipients who chose email; one delivery task is enqueued when the
    caller's transaction commits. ``units`` (units or ids) and ``recipients`` (see
    ``_user_ids``) override what the event derives from ``obj``. Returns the number of
    deliveries queued.

    Call it after the change is committed or inside its transaction: the rows are written
    in the caller's transaction and the task starts only once that commits. It costs a
    few queries and one bulk INSERT (10,000 emails included), never a network request."""
    event = events.get(event_key)
    message = event.message(obj)
    data = transport.message_to_json(message)
    unit_ids = _ids(units) if units is not None else _ids(event.units(obj))
    title = message.title[:300]
    rows = [
        Delivery(channel=channel, event=event.key, title=title, message=data)
        for channel in (channels_for(event.topic, unit_ids) if event.topic else [])
    ]
    if event.email_preference:
        if recipients is None:
            recipients = event.recipients(obj) if event.recipients else ()
        rows += [
            Delivery(email=address, event=event.key, title=title, message=data)
            for address in _email_addresses(recipients, event.email_preference)
        ]
    if rows:
        Delivery.objects.bulk_create(rows, batch_size=1000)
        transaction.on_commit(tasks.enqueue_delivery)
    return len(rows)


def announce_released_pages(change_ids: Iterable[int]) -> int:
    """网站发布 for each page a build made live for the first time (a later publish of the
    same page is a correction, not news for everybody's group chat; unpublishing, moves
    and whole-site rebuilds announce nothing). Only public article pages and public forms
    count, never the home page or a section."""
    from cms.core.models import ArticlePage
    from cms.feedback.models import FeedbackFormPage
    from cms.publishing.exportable import exportable_queryset
    from cms.publishing.models import ContentChange

    change_ids = list(change_ids)
    publish = ContentChange.Action.PUBLISH
    page_ids = set(
        ContentChange.objects.filter(pk__in=change_ids, action=publish, page_id__isnull=False).values_list(
            "page_id", flat=True
        )
    )
    if not page_ids:
        return 0
    seen_before = set(
        ContentChange.objects.filter(page_id__in=page_ids, action=publish, released_at__isnull=False)
        .exclude(pk__in=change_ids)
        .values_list("page_id", flat=True)
    )
    count = 0
    for page in exportable_queryset().filter(pk__in=page_ids - seen_before).specific().order_by("pk"):
        if isinstance(page, ArticlePage | FeedbackFormPage):
            count += announce(events.PAGE_PUBLISHED, page)
    return count


# Channels --------------------------------------------------------------------------------
#
# Every change an administrator makes to a channel is in the audit log (cms/audit): what
# changed, by whom, when. The address (it holds the robot's token) and the signing secret
# are credentials: the log says only that they were set, replaced or cleared.


def channel_state(channel: Channel | None) -> dict | None:
    """What the audit log compares before and after an edit. Take it before the form is
    validated (validation writes the posted values into the instance). The address and
    secret are here only to be compared, never recorded."""
    if channel is None or channel.pk is None:
        return None
    return {
        "name": channel.name,
        "unit": channel.unit.name if channel.unit_id else "整个党委",
        "kind": channel.get_kind_display(),
        # In the choices' order, so the same choice posted in another order is no change.
        "topics": "、".join(topic.label for topic in Topic if topic.value in (channel.topics or ())) or "无",
        "enabled": channel.enabled,
        "address": channel.address,
        "secret": channel.secret,
        "stopped": bool(channel.stopped_reason),  # saving restarts it (channel_saved)
    }


def _credential_change(before: str, after: str) -> str:
    if not before:
        return "已设置"
    return "已清除" if not after else "已更换"


def _audit_saved(channel: Channel, before: dict | None, user) -> None:
    after = channel_state(channel)
    if before is None:
        action = Action.CHANNEL_CREATED
        details = {key: after[key] for key in ("unit", "kind", "topics", "enabled")}
        details["signing_key"] = "已设置" if after["secret"] else "未设置"
    else:
        # "old → new" as text: the audit page joins a list with 、, which topics already use.
        details = {
            key: f"{before[key]} → {after[key]}"
            for key in ("name", "unit", "kind", "topics")
            if before[key] != after[key]
        }
        for key, label in (("address", "address"), ("secret", "signing_key")):
            if before[key] != after[key]:
                details[label] = _credential_change(before[key], after[key])
        if before["stopped"]:
            details["resumed"] = True
        if before["enabled"] != after["enabled"]:
            action = Action.CHANNEL_ENABLED if after["enabled"] else Action.CHANNEL_DISABLED
        elif details:
            action = Action.CHANNEL_CHANGED
        else:
            return  # saved as it was: nothing happened worth an entry
    _audit(action, user, channel, details)


def _audit(action, user, channel: Channel, details: dict) -> None:
    record(action, actor=user, obj=channel, object_type="channel", object_repr=channel.name, details=details)


def channel_saved(channel: Channel, *, before: dict | None, user=None) -> None:
    """An administrator saved the channel (``before``: its ``channel_state`` before the
    edit, None when it is new): whatever stopped it is considered repaired, messages that
    waited for it go out, and the audit log records what changed."""
    if before is not None and (channel.stopped_reason or channel.failing_since):
        Channel.objects.filter(pk=channel.pk).update(stopped_reason="", stopped_at=None, failing_since=None)
        channel.stopped_reason, channel.stopped_at, channel.failing_since = "", None, None
    _audit_saved(channel, before, user)
    transaction.on_commit(tasks.enqueue_delivery)


def delete_channel(channel: Channel, *, user=None) -> int:
    """Delete the channel: the log keeps its rows (shown as 渠道已删除), what still waits is
    dropped. Returns how many waiting messages were dropped."""
    with transaction.atomic():
        dropped = Delivery.objects.filter(
            channel=channel, status__in=[Delivery.Status.QUEUED, Delivery.Status.RETRYING]
        ).update(status=Delivery.Status.DROPPED, last_error="渠道已删除，消息不再发送。")
        state = channel_state(channel)
        _audit(
            Action.CHANNEL_DELETED,
            user,
            channel,
            {"unit": state["unit"], "kind": state["kind"], "dropped": dropped},
        )
        channel.delete()
    return dropped


def send_test_message(channel: Channel, *, user=None):
    """Send a test message now (in the admin's request: short timeouts) and return the
    platform's Outcome; its answer never contains the secret or the address's token
    (transport scrubs it), so it goes into the log and the audit entry as it is."""
    who = getattr(user, "display_name", "") or "管理员"
    message = transport.make_message(
        title="测试消息",
        text=f"这是来自网络党建平台的测试消息，由{who}发送。收到即表示「{channel.name}」配置正确。",
        event="test",
    )
    outcome = transport.send_now(channel.kind, channel.address, channel.secret, message)
    logger.info("test message to channel %s: %s", channel.pk, outcome.answer)
    _audit(Action.CHANNEL_TESTED, user, channel, {"status": "成功" if outcome.ok else "失败", "answer": outcome.answer})
    return outcome


# Email preference ------------------------------------------------------------------------


def email_preference(user: User) -> EmailPreference:
    preference = EmailPreference.objects.filter(user=user).first()
    return preference or EmailPreference(user=user)


def set_email_preference(user: User, *, notices: bool, answers: bool) -> EmailPreference:
    if (notices or answers) and not (user.email or "").strip():
        raise ValidationError("您的账号没有登记电子邮箱，无法接收邮件提醒。请联系管理员登记邮箱后再开启。")
    preference, _ = EmailPreference.objects.update_or_create(
        user=user, defaults={"notices": notices, "answers": answers}
    )
    return preference
