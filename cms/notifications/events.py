"""The two notice events, and the single place the channel layer plugs into.

``services`` calls these after the transaction that sent a notice or recorded a reminder
has committed (``transaction.on_commit``), so whatever they start sees the recipient rows.
Today they do nothing: the event → channel fan-out (units' group robots, members' email)
is built separately and will be called from here. Whatever is added must only enqueue
background tasks (the existing task worker): these run inside the admin request of the
person who pressed 发送 or 提醒, which must never wait for a robot or a mail server.
"""

from __future__ import annotations

from collections.abc import Sequence

from .models import Notice, NoticeRecipient


def notice_sent(notice: Notice) -> None:
    """A notice was sent: ``notice.recipients`` holds every member it reached (frozen at
    sending) and ``notice.audience_units`` the units whose channels should carry it.

    Hook for the channel fan-out; intentionally empty until it exists."""


def notice_reminded(notice: Notice, recipients: Sequence[NoticeRecipient]) -> None:
    """Someone pressed 提醒未完成的人: ``recipients`` (with ``user`` and ``unit`` loaded) are
    the members reminded, whose ``last_reminded_at`` was just set.

    Hook for the channel fan-out; intentionally empty until it exists."""
