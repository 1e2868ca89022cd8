"""The demo's notices: what `make run` shows members, the office and a secretary."""

from django.core.management import call_command

from cms.accounts.models import User
from cms.notifications import selectors
from cms.notifications.models import Notice, NoticeRecipient


def test_load_demo_sends_notices_once(home):
    call_command("load_demo", verbosity=0)
    first = (Notice.objects.count(), NoticeRecipient.objects.count())
    call_command("load_demo", verbosity=0)
    assert (Notice.objects.count(), NoticeRecipient.objects.count()) == first

    member = User.objects.get(username="member1")
    assert selectors.unread_count(member) == 1  # the meeting; the dues reminder is confirmed
    meeting = Notice.objects.get(title="关于召开第四季度组织生活会的通知")
    groups = selectors.status_by_unit(meeting, selectors.notice_scope(User.objects.get(username="branch1")))
    assert [(g.unit_name, g.total, g.replied, g.absent) for g in groups] == [("第一党支部", 4, 1, 1)]
    assert Notice.objects.get(title="十二月学习安排（草稿）").sent_at is None
