"""The two notice events: the one place notices reach the channel layer (cms.delivery).

``services`` calls these after the transaction that sent a notice or recorded a reminder
has committed (``transaction.on_commit``), so the recipient rows are there. ``announce``
only writes the delivery rows and enqueues one background task: the admin request of the
person who pressed 发送 or 提醒 never waits for a robot or a mail server. What a robot and an
email carry (title, kind, sender, deadline, a link; never the body) is cms/delivery/notices.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from cms.delivery import services as delivery
from cms.delivery.notices import NOTICE_REMINDED, NOTICE_SENT

from .models import Notice, NoticeRecipient


def notice_sent(notice: Notice) -> None:
    """A notice was sent: to the channels of its audience units, and by email to the
    recipients who chose email for notices."""
    delivery.announce(NOTICE_SENT, notice)


def notice_reminded(notice: Notice, recipients: Sequence[NoticeRecipient]) -> None:
    """Someone pressed 提醒未完成的人: ``recipients`` are the members reminded; the channels
    of their units and their email (where chosen) carry the reminder."""
    recipients = list(recipients)
    if recipients:
        delivery.announce(NOTICE_REMINDED, notice, units={r.unit_id for r in recipients}, recipients=recipients)
