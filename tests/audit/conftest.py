"""Helpers for the audit tests: the entries of one kind, and raw SQL that bypasses the
application (what an attacker with database access would do)."""

import pytest
from django.db import connection

from cms.audit.models import AuditEntry

_mark = {"seq": 0}


def start_here():
    """Entries written so far (set-up: factories, log-ins) are not the test's business."""
    _mark["seq"] = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.fixture(autouse=True)
def _reset_mark():
    _mark["seq"] = 0


def entries(action):
    return list(AuditEntry.objects.filter(action=action, seq__gt=_mark["seq"]).order_by("seq"))


def only_entry(action):
    found = entries(action)
    assert len(found) == 1, [(e.seq, e.action, e.object_repr, e.details) for e in found]
    return found[0]


def raw_sql(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{t}", connection.ops.quote_name(AuditEntry._meta.db_table)), params)


def reseal():
    """Recompute every hash in order and the chain head, as a correct application would
    have written the rows as they now stand (test set-up and forgery, by raw SQL)."""
    from cms.audit.models import GENESIS_HASH, ChainHead

    previous = GENESIS_HASH
    for entry in AuditEntry.objects.order_by("seq"):
        entry.prev_hash = previous
        entry.entry_hash = entry.compute_hash()
        raw_sql(
            "UPDATE {t} SET prev_hash = %s, entry_hash = %s WHERE seq = %s",
            [entry.prev_hash, entry.entry_hash, entry.seq],
        )
        previous = entry.entry_hash
    ChainHead.objects.filter(pk=1).update(last_hash=previous)


@pytest.fixture
def audit_down():
    """The audit table cannot be written (renamed away by raw SQL, as when the database
    refuses writes to it); restored by the test's transaction rollback and, to be safe, here."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    away = connection.ops.quote_name("audit_gone")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {away}")
    yield
    with connection.cursor() as cursor:
        try:
            cursor.execute(f"ALTER TABLE {away} RENAME TO {table}")
        except Exception:
            pass
