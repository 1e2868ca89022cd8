"""通知公告 events: a notice sent, and a reminder to those who have not read, confirmed or
replied. The notices app announces them from its hooks (cms/notifications/events.py, after
commit). The functions read the notice's fields by name (title, kind, sender_unit, deadline,
requires_confirmation, requires_reply, ``recipients`` rows with ``user_id``/``unit_id``) and
import nothing from the notices app (it depends on this one, not the other way round).

Notices are private: robots and emails carry the title, the kind, the sender, the deadline
and a link to the member area, never the body — reading it there is what records 已读.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from .events import Event, register
from .models import Topic
from .transport import make_message

NOTICE_SENT = "notice_sent"
NOTICE_REMINDED = "notice_reminded"


def _url(notice) -> str:
    return f"{settings.PUBLIC_SITE_URL.rstrip('/')}/member/notice/?id={notice.pk}"


def _facts(notice) -> list[str]:
    facts = []
    if getattr(notice, "sender_unit", None) is not None:
        facts.append(f"发文组织：{notice.sender_unit.name}")
    if getattr(notice, "deadline", None):
        local = timezone.localtime(notice.deadline)
        facts.append(f"截止时间：{local.month}月{local.day}日 {local:%H:%M}")
    asks = [
        label
        for flag, label in (("requires_confirmation", "已读确认"), ("requires_reply", "回执"))
        if getattr(notice, flag, False)
    ]
    if asks:
        facts.append("需要：" + "、".join(asks))
    return facts


def _kind(notice) -> str:
    display = getattr(notice, "get_kind_display", None)
    return display() if display else "通知"


def _sent_message(notice):
    return make_message(
        title=f"【{_kind(notice)}】{notice.title}",
        text="请登录党员之家查看通知全文。",
        url=_url(notice),
        facts=_facts(notice),
        event=NOTICE_SENT,
    )


def _reminder_message(notice):
    return make_message(
        title=f"【提醒】{notice.title}",
        text="这则通知您还没有阅读或完成确认、回执，请登录党员之家尽快处理。",
        url=_url(notice),
        facts=_facts(notice),
        event=NOTICE_REMINDED,
    )


def _units(notice) -> set[int]:
    """The branches whose members it reached (a notice to a unit includes the units below)."""
    return {unit for unit in notice.recipients.values_list("unit_id", flat=True).distinct() if unit is not None}


def _recipients(notice):
    return notice.recipients.values_list("user_id", flat=True)


register(
    Event(
        key=NOTICE_SENT,
        label="通知发布",
        topic=Topic.NOTICE,
        message=_sent_message,
        units=_units,
        recipients=_recipients,
        email_preference="notices",
    )
)
# A reminder names its units and recipients in the call (those not done yet).
register(
    Event(
        key=NOTICE_REMINDED,
        label="通知提醒",
        topic=Topic.NOTICE,
        message=_reminder_message,
        units=lambda notice: set(),
        recipients=lambda notice: (),
        email_preference="notices",
    )
)
