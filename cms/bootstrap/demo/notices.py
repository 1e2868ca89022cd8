"""Demo notices (cms/notifications), through ``cms.notifications.services`` like the admin:

* the committee office (editor, group 编辑) sent a 缴纳党费提醒 to the whole 党委, asking for a
  confirmation; member1 has read and confirmed it;
* branch1 (第一党支部's secretary) sent a 会议通知 to 第一党支部 asking for a reply by a
  deadline a few days ahead; member3 will not attend (with a reason), the others have not
  answered yet — so 回执情况 shows 1 of 4 replied and 提醒 has people to remind;
* branch1 keeps a draft 学习安排 (editable, not sent).

Idempotent: a notice is found by its title.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from cms.notifications import selectors, services
from cms.notifications.models import Kind, Notice


def _notice(user, *, send: bool, **fields) -> tuple[Notice, bool]:
    existing = Notice.objects.filter(title=fields["title"]).first()
    if existing:
        return existing, False
    defaults = {"audience_statuses": [], "requires_confirmation": False, "requires_reply": False, "deadline": None}
    notice = services.save_draft(user, None, **{**defaults, **fields})
    if send:
        services.send(user, notice)
    return notice, True


def load_demo_notices(units, users) -> None:
    now = timezone.now()
    dues, created = _notice(
        users["editor"],
        send=True,
        title="关于按时交纳第四季度党费的提醒",
        kind=Kind.DUES,
        sender_unit=units["committee"],
        audience_units=[units["committee"]],
        requires_confirmation=True,
        body="各党支部、全体党员：\n请于本月25日前交纳第四季度党费。工资调整的同志，请向所在支部组织委员确认新的交纳基数。",
    )
    if created:
        services.confirm(selectors.my_receipt(users["member1"], dues.pk))

    meeting, created = _notice(
        users["branch1"],
        send=True,
        title="关于召开第四季度组织生活会的通知",
        kind=Kind.MEETING,
        sender_unit=units["第一党支部"],
        audience_units=[units["第一党支部"]],
        requires_reply=True,
        deadline=now + datetime.timedelta(days=5),
        body="时间：本周五下午3点\n地点：办公楼三楼会议室\n内容：学习党的创新理论，开展批评与自我批评。\n"
        "请在截止时间前提交回执，不能参加的请说明原因。",
    )
    if created:
        services.reply(selectors.my_receipt(users["member3"], meeting.pk), attend=False, reason="当天外出培训")

    _notice(
        users["branch1"],
        send=False,
        title="十二月学习安排（草稿）",
        kind=Kind.STUDY,
        sender_unit=units["第一党支部"],
        audience_units=[units["第一党支部"]],
        body="本月集中学习安排另行通知。",
    )
