"""Appending: chained hashes, append-only from the ORM, serialised appends, retention."""

import datetime
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from cms.audit import services
from cms.audit.models import GENESIS_HASH, Action, AppendOnlyError, AuditEntry, ChainHead
from cms.audit.selectors import verify_chain
from tests.factories import UserFactory


@pytest.fixture
def three(db):
    user = UserFactory(username="zhang")
    return [services.record(Action.LOGIN, actor=user, object_repr=f"第{n}次") for n in range(3)]


def test_entries_chain_their_hashes(three):
    first, second, third = three
    assert [e.seq for e in three] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.entry_hash and third.prev_hash == second.entry_hash
    stored = AuditEntry.objects.get(seq=2)
    assert stored.compute_hash() == stored.entry_hash == second.entry_hash  # read back, same bytes
    assert (stored.actor_username, stored.label) == ("zhang", "登录成功")
    head = ChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (3, third.entry_hash)
    assert verify_chain().ok


def test_the_orm_cannot_change_or_delete_entries(three):
    entry = AuditEntry.objects.get(seq=1)
    entry.object_repr = "改过"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(seq=1).update(object_repr="改过")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_create([AuditEntry(seq=99, created_at=timezone.now(), action="auth.login")])
    assert AuditEntry.objects.get(seq=1).object_repr == "第0次" and AuditEntry.objects.count() == 3
    assert verify_chain().ok


def test_deleting_a_user_keeps_their_entries(three):
    user = UserFactory(username="li")
    services.record(Action.LOGIN, actor=user)
    user_id = user.pk
    user.delete()
    entry = AuditEntry.objects.filter(action=Action.LOGIN, actor_id=user_id).get()
    assert entry.actor_username == "li"
    assert verify_chain().ok


def test_secrets_never_reach_the_details(db):
    entry = services.record(
        Action.LOGIN_FAILED,
        details={
            "username": "zhang",
            "password": "Geheim123!",
            "csrfmiddlewaretoken": "abc",
            "nested": {"new_password1": "x"},
        },
    )
    assert entry.details == {"username": "zhang", "nested": {}}
    assert "Geheim" not in str(AuditEntry.objects.values_list("details", flat=True).get())


def test_an_append_that_fails_does_not_raise_unless_strict(db, audit_down, caplog):
    assert services.record(Action.LOGIN) is None
    assert "audit append failed" in caplog.text
    with pytest.raises(services.AuditUnavailable):
        services.record(Action.PROGRESS_EXPORTED, strict=True)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_from_threads_keep_one_valid_chain():
    """Four threads, each with its own database connection, append 25 entries each at once."""
    errors, start = [], threading.Barrier(4)

    def append(n):
        try:
            start.wait()
            for i in range(25):
                assert services.record(Action.LOGIN, object_repr=f"t{n}-{i}") is not None
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, 101))
    report = verify_chain()
    assert report.ok and report.checked == 100, report.message()


def test_retention_is_at_least_180_days(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    assert services.retention_days() == 180
    settings.AUDIT_RETENTION_DAYS = 400
    assert services.retention_days() == 400


def test_prune_removes_old_entries_behind_a_checkpoint(db, settings):
    settings.AUDIT_RETENTION_DAYS = 180
    now = timezone.now()
    old = [services.record(Action.LOGIN, object_repr=f"旧{n}") for n in range(3)]
    kept = services.record(Action.LOGIN, object_repr="新")
    # Entries 1-3 were written 200 days ago (created_at is hashed, so the chain is rebuilt
    # as if they had been appended then: the clock is what prune reads).
    _rebuild_with_times({e.seq: now - datetime.timedelta(days=200) for e in old})

    result = services.prune(now=now)

    assert (result.removed, result.through_seq) == (3, 3)
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == [kept.seq, result.checkpoint.seq]
    assert result.checkpoint.details["removed_through_seq"] == 3
    report = verify_chain()
    assert report.ok, report.message()
    assert services.prune(now=now).removed == 0  # nothing more is old enough


def test_prune_keeps_everything_inside_the_retention_period(db, settings):
    settings.AUDIT_RETENTION_DAYS = 10  # raised to 180
    services.record(Action.LOGIN)
    _rebuild_with_times({1: timezone.now() - datetime.timedelta(days=179)})
    assert services.prune().removed == 0
    assert AuditEntry.objects.count() == 1


def _rebuild_with_times(times):
    """Rewrite the chain with other timestamps, as a correct application would have written
    it at those times (test set-up only: raw SQL, then hashes recomputed in order)."""
    from tests.audit.conftest import raw_sql, reseal

    for seq, when in times.items():
        raw_sql("UPDATE {t} SET created_at = %s WHERE seq = %s", [when, seq])
    reseal()
