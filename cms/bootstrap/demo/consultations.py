"""Demo consultations (cms/consultations) and the public 常见问题 in 互动交流.

* member1 asked 第一党支部 about party dues and agreed to publication; branch1 (支部书记)
  answered, and an editor turned it into an FAQ page through the same draft step as the admin
  (``services.make_faq_draft``), rewrote it without personal details and published it;
* activist1's question to 第一党支部 has waited past the SLA (overdue in the admin);
* member1's suggestion to 党委办公室 waits for an answer;
* one more FAQ page written directly by the editor.

Everything goes through ``cms.consultations.services`` with moments in the past. Idempotent:
items are found by asker and subject, pages by slug.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from wagtail.models import Page
from wagtail.rich_text import RichText

from cms.consultations import services
from cms.consultations.models import Addressee, Consultation, FaqPage, Kind


def _p(*paragraphs: str) -> RichText:
    return RichText("".join(f"<p>{text}</p>" for text in paragraphs))


def _ask(user, *, days_ago: float, **fields) -> tuple[Consultation, bool]:
    existing = Consultation.objects.filter(asker=user, subject=fields["subject"]).first()
    if existing:
        return existing, False
    return services.ask(user, now=timezone.now() - datetime.timedelta(days=days_ago), **fields), True


def load_demo_consultations(units, users, *, faq_section) -> list[FaqPage]:
    admin, editor, reviewer = users["admin"], users["editor"], users["reviewer"]
    now = timezone.now()

    dues, created = _ask(
        users["member1"],
        days_ago=6,
        kind=Kind.QUESTION,
        addressee=Addressee.BRANCH,
        public_consent=True,
        subject="工资调整后党费怎么重新核定？",
        text="我是第一党支部的钱学员，今年7月工资调整了，党费是从下个月开始按新工资交，还是要等年初统一核定？"
        "之前少交的部分需要补吗？",
    )
    if created:
        services.answer(
            users["branch1"],
            dues,
            now=now - datetime.timedelta(days=5),
            text="钱学员你好：按照规定，党员工资收入发生变化后，从次月起按新的工资收入计算党费，"
            "不必等到年初。7月调整的，从8月起按新标准交纳，7月以前的不用补交。\n"
            "请在本月组织生活会后到支部组织委员处确认新的交纳基数。",
        )

    faqs = []
    faq = FaqPage.objects.filter(source_consultation=dues).first()
    if faq is None and dues.first_answered_at is not None:
        # The admin's own step: a draft pre-filled with the member's wording, which names them.
        faq = services.make_faq_draft(admin, dues, faq_section)
        faq.slug = "dues-after-pay-change"  # the draft's neutral faq-<id>, made readable
        faq.title = "工资调整后，党费从什么时候按新标准交纳？"
        faq.question = (
            "党员工资收入发生变化后，党费是从次月起按新工资计算，还是等到年初统一核定？之前少交的部分需要补交吗？"
        )
        faq.body = [
            (
                "paragraph",
                _p(
                    "党员工资收入发生变化后，从次月起按新的工资收入计算党费，不必等到年初统一核定；变化前各月已按原标准交纳的，不需要补交。",
                    "交纳基数的确认，请联系所在党支部的组织委员。",
                ),
            )
        ]
        faq.summary = "工资调整的次月起按新标准交纳，此前各月不补交。"
        faq.date = timezone.localdate()
        faq.issuing_unit = units["committee"]
        faq.personal_data_removed = True
        faq.tags.set(["党费"])
        faq.save_revision(user=admin).publish(user=reviewer)
    if faq is not None:
        faqs.append(faq)

    transfer = Page.objects.child_of(faq_section).filter(slug="relation-transfer").first()
    if transfer is None:
        transfer = FaqPage(
            slug="relation-transfer",
            owner=editor,
            live=False,
            personal_data_removed=True,
            title="调动到外地工作，组织关系怎么转接？",
            question="党员因工作调动到外地（集团以外的单位），组织关系应该怎样转出？需要多长时间？",
            summary="向所在党支部提出申请，由党委组织部通过全国党员管理信息系统办理。",
            date=timezone.localdate() - datetime.timedelta(days=4),
            issuing_unit=units["committee"],
            body=[
                (
                    "paragraph",
                    _p(
                        "党员调动工作的，应当在调动后及时转接组织关系。请先向所在党支部提出申请，写明转入单位和转入党组织；"
                        "党支部审核后报党委组织部，由组织部通过全国党员管理信息系统办理转出。"
                    ),
                ),
                (
                    "paragraph",
                    RichText(
                        "<ul><li>转出前请交清党费。</li><li>转入党组织接收后，转接即告完成，一般在10个工作日内办结。</li>"
                        "<li>到新单位后，请在6个月内向转入党组织报到并参加组织生活。</li></ul>"
                    ),
                ),
            ],
        )
        faq_section.add_child(instance=transfer)
        transfer.tags.set(["组织关系"])
        transfer.save_revision(user=editor).publish(user=reviewer)
    faqs.append(transfer.specific)

    _ask(
        users["activist1"],
        days_ago=12,
        kind=Kind.QUESTION,
        addressee=Addressee.BRANCH,
        subject="入党积极分子多长时间可以列为发展对象？",
        text="我去年10月被确定为入党积极分子，参加了党课培训，想了解还需要多长时间、经过哪些程序才能列为发展对象？",
    )
    _ask(
        users["member1"],
        days_ago=1,
        kind=Kind.SUGGESTION,
        addressee=Addressee.COMMITTEE,
        subject="建议在党员学习中增加党费交纳提醒",
        text="不少党员反映容易忘记按月交纳党费。建议在党员学习首页每月初提醒一次，并显示本人的交纳基数，方便核对。",
    )
    return faqs
