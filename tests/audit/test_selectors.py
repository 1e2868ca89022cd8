"""verify_chain: passes on an intact log, then names the first broken entry after each kind
of tampering done with raw SQL (what someone with database access could do)."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cms.audit import services
from cms.audit.models import Action, AuditEntry, ChainHead
from cms.audit.selectors import search_entries, verify_chain
from tests.audit.conftest import raw_sql, reseal
from tests.factories import UserFactory


@pytest.fixture
def log(db):
    user = UserFactory(username="zhao")
    for n in range(5):
        services.record(Action.LOGIN, actor=user, object_repr=f"条目{n + 1}", details={"n": n + 1})
    report = verify_chain()
    assert report.ok and report.checked == 5, report.message()
    return user


def broken_at(seq):
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == seq, report.message()
    return report


def test_a_changed_field_is_found(log):
    raw_sql("UPDATE {t} SET actor_username = 'someone' WHERE seq = 3")
    report = broken_at(3)
    assert "内容与其哈希不符" in report.message() and "序号 3" in report.message()


def test_changed_details_are_found(log):
    raw_sql("UPDATE {t} SET details = %s WHERE seq = 2", ['{"n": 20}'])
    broken_at(2)


def test_a_changed_field_with_a_recomputed_hash_breaks_the_next_link(log):
    entry = AuditEntry.objects.get(seq=2)
    entry.object_repr = "伪造"
    raw_sql("UPDATE {t} SET object_repr = %s, entry_hash = %s WHERE seq = 2", ["伪造", entry.compute_hash()])
    assert "不衔接" in broken_at(3).message()


def test_a_deleted_row_is_found(log):
    raw_sql("DELETE FROM {t} WHERE seq = 3")
    assert "序号应为 3，实为 4" in broken_at(4).message()


def test_two_swapped_rows_are_found(log):
    # Swap the positions of entries 2 and 4 (their seq values).
    raw_sql("UPDATE {t} SET seq = -2 WHERE seq = 2")
    raw_sql("UPDATE {t} SET seq = 2 WHERE seq = 4")
    raw_sql("UPDATE {t} SET seq = 4 WHERE seq = -2")
    broken_at(2)


def test_two_swapped_contents_are_found(log):
    # Swap everything but the position: the chain still breaks at the first swapped row.
    first, second = AuditEntry.objects.get(seq=2), AuditEntry.objects.get(seq=3)
    for target, source in ((2, second), (3, first)):
        raw_sql(
            "UPDATE {t} SET object_repr = %s, details = %s, prev_hash = %s, entry_hash = %s WHERE seq = %s",
            [
                source.object_repr,
                json.dumps(source.details, ensure_ascii=False),
                source.prev_hash,
                source.entry_hash,
                target,
            ],
        )
    broken_at(2)


def test_a_deleted_last_row_is_found(log):
    raw_sql("DELETE FROM {t} WHERE seq = 5")
    assert "最新的记录被删除" in verify_chain().message()


def test_deleting_the_oldest_rows_is_found_even_after_a_prune(log, settings):
    raw_sql("UPDATE {t} SET created_at = %s WHERE seq <= 2", [timezone.now() - datetime.timedelta(days=400)])
    # (that change itself is tampering; re-seal so that only the prune story remains)
    reseal()
    services.prune()
    assert verify_chain().ok
    raw_sql("DELETE FROM {t} WHERE seq = 3")
    broken_at(4)
    # Moving the head's anchor along does not hide it: the checkpoint names entry 2.
    ChainHead.objects.filter(pk=1).update(anchor_seq=3, anchor_hash=AuditEntry.objects.get(seq=4).prev_hash)
    assert "最近一次清理记录不符" in verify_chain().message()


def test_audit_verify_command_exit_codes(log, capsys):
    call_command("audit_verify")
    assert "审计日志完整：已校验 5 条记录" in capsys.readouterr().out
    raw_sql("UPDATE {t} SET ip_address = '10.0.0.9' WHERE seq = 4")
    with pytest.raises(CommandError) as refused:
        call_command("audit_verify")
    assert refused.value.returncode != 0
    assert "序号 4" in str(refused.value) and "被修改" in str(refused.value)


def test_search_by_person_action_object_dates_and_address(db):
    zhang, li = UserFactory(username="zhang"), UserFactory(username="li")
    services.record(Action.LOGIN, actor=zhang, object_repr="张三（zhang）")
    services.record(Action.MEMBER_CHANGED, actor=li, object_type="membership", object_id=7, object_repr="王五（wang）")
    services.record(Action.LOGIN_FAILED, object_repr="wang")

    def found(**filters):
        return [e.action for e in search_entries(**filters)]

    assert found(person="zhang") == ["auth.login"]
    assert found(person="wang") == ["auth.login_failed", "member.changed"]  # acted on, newest first
    assert found(action="member.changed") == ["member.changed"]
    assert found(obj="membership") == found(obj="7") == ["member.changed"]
    today = timezone.localdate()
    assert len(found(date_from=today, date_to=today)) == 3
    assert found(date_to=today - datetime.timedelta(days=1)) == []
    assert found(ip="10.") == []
