"""Two workers at once share one robot's rate limit and never send a delivery twice
(real commits: each thread has its own database connection, like two worker processes)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from cms.delivery import sending, services
from cms.delivery.models import Delivery

from .conftest import DRILL

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_share_the_budget_and_send_each_message_once(org, channel, webhook_server, platforms, monkeypatch):
    monkeypatch.setattr(platforms.PLATFORMS["webhook"], "PER_MINUTE", 20)
    channel(webhook_server.address("/ok"), unit=org.first)
    for n in range(30):
        services.announce(DRILL, {"title": f"通知{n:02d}", "units": [org.first]})
    errors = []

    def worker():
        try:
            sending.deliver_due(schedule=lambda when: None)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    titles = [m["title"] for m in webhook_server.received]
    assert len(titles) == 20 and len(set(titles)) == 20  # the budget held; nothing twice
    assert Counter(Delivery.objects.values_list("status", flat=True)) == {"sent": 20, "queued": 10}
