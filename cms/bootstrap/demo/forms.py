"""Demo feedback forms (cms/feedback): the public 群众心声 in 互动交流, and three member forms
under 问卷中心 — one open for everybody, an anonymous 民主评议党员 for 第一党支部, one closed.

Answers go through ``cms.feedback.services`` (the same validation, anonymity and counting as
the member area), so 问卷结果 has data and the demo member's 我的问卷 shows an open, an
answered and a closed form. Idempotent like the rest of the demo: forms are found by slug,
and answers are only added while a form has none.
"""

from __future__ import annotations

import datetime
import uuid

from django.utils import timezone
from wagtail.models import Page

from cms.accounts.models import MemberStatus
from cms.feedback import services
from cms.feedback.models import FeedbackFormPage, FieldType, FormField, FormKind, Response
from cms.feedback.services import ensure_forms_root

#: What the public 群众心声 asks (its answers are anonymous by nature: no account, a date only).
MESSAGE_CATEGORIES = ["意见建议", "咨询求助", "反映问题", "表扬点赞"]
SATISFACTION_LEVELS = ["非常满意", "满意", "基本满意", "不满意"]
STUDY_FORMS = ["专题党课", "红色教育基地参观", "线上学习", "主题党日志愿服务", "读书分享会"]


def _form(
    parent: Page, slug: str, author, publisher, *, fields: list[dict], audience_units=(), **values
) -> FeedbackFormPage:
    existing = FeedbackFormPage.objects.child_of(parent).filter(slug=slug).first()
    if existing:
        return existing.specific
    form = FeedbackFormPage(slug=slug, owner=author, live=False, **values)
    parent.add_child(instance=form)
    if audience_units:
        form.audience_units.set(list(audience_units))
    for order, spec in enumerate(fields):
        FormField.objects.create(page=form, sort_order=order, **spec)
    form.save_revision(user=author).publish(user=publisher)
    form.refresh_from_db()
    return form


def _name(form: FeedbackFormPage, label: str) -> str:
    return next(field.clean_name for field in form.form_fields.all() if field.label == label)


def load_demo_forms(units, users, *, interact) -> dict[str, FeedbackFormPage]:
    """The demo forms; ``interact`` is the public 互动交流 section that holds 群众心声."""
    editor, reviewer = users["editor"], users["reviewer"]
    now = timezone.now()

    message = _form(
        interact,
        "message",
        editor,
        reviewer,
        title="群众心声",
        kind=FormKind.MESSAGE,
        intro="欢迎职工群众给集团党委留言：意见建议、咨询求助、反映问题都可以。"
        "留言由党委办公室专人处理；如需答复，请留下联系方式。请勿填写他人的个人信息。",
        thank_you_text="留言已收到，感谢您对党委工作的关心和支持。",
        fields=[
            {
                "label": "留言类别",
                "field_type": FieldType.RADIO,
                "required": True,
                "choices": "\n".join(MESSAGE_CATEGORIES),
            },
            {
                "label": "留言内容",
                "field_type": FieldType.MULTILINE,
                "required": True,
                "help_text": "请写明事情的经过和您的诉求，不超过 2000 字。",
            },
            {
                "label": "联系方式",
                "field_type": FieldType.SINGLELINE,
                "required": False,
                "help_text": "选填：电话或邮箱，仅用于答复您。",
            },
        ],
    )

    root = ensure_forms_root()
    satisfaction = _form(
        root,
        "satisfaction-2026",
        editor,
        reviewer,
        title="2026年度党建工作满意度调查",
        kind=FormKind.SATISFACTION,
        allow_change=True,
        opens_at=now - datetime.timedelta(days=5),
        closes_at=now + datetime.timedelta(days=14),
        intro="为了解党员对本年度党建工作的评价，改进明年的工作安排，请全体党员和入党积极分子如实填写。"
        "截止前可以修改已提交的答案。",
        thank_you_text="感谢您的参与，党委将认真研究大家的意见。",
        fields=[
            {"label": "总体评价", "field_type": FieldType.SECTION, "required": False},
            {
                "label": "您对本支部“三会一课”开展情况的总体评价",
                "field_type": FieldType.RADIO,
                "required": True,
                "choices": "\n".join(SATISFACTION_LEVELS),
            },
            {
                "label": "党建工作对您本职工作的促进作用",
                "field_type": FieldType.RATING,
                "required": True,
                "help_text": "1 分表示作用很小，5 分表示作用很大。",
            },
            {"label": "学习与活动", "field_type": FieldType.SECTION, "required": False},
            {
                "label": "您希望明年增加哪些学习形式",
                "field_type": FieldType.CHECKBOXES,
                "required": True,
                "choices": "\n".join(STUDY_FORMS),
                "help_text": "可多选。",
            },
            {"label": "对党委工作的意见和建议", "field_type": FieldType.MULTILINE, "required": False},
        ],
    )

    appraisal = _form(
        root,
        "peer-review-branch1-2026",
        editor,
        reviewer,
        title="第一党支部2026年度民主评议党员",
        kind=FormKind.EVALUATION,
        anonymous=True,
        audience_units=[units["第一党支部"]],
        audience_statuses=[MemberStatus.FULL, MemberStatus.PROBATIONARY],
        opens_at=now - datetime.timedelta(days=2),
        closes_at=now + datetime.timedelta(days=10),
        intro="按照《关于开展2026年度民主评议党员工作的通知》，请对照党员标准，对本支部每名党员逐人评议。",
        thank_you_text="评议已提交。感谢您认真履行党员的民主权利。",
        fields=[
            {
                "label": "对本支部党员逐人评议",
                "field_type": FieldType.PEER_REVIEW,
                "required": True,
                "help_text": "为每名党员选择评议等次（优秀、合格、基本合格、不合格），可附简短评语。",
            },
            {"label": "对支部委员会的意见建议", "field_type": FieldType.MULTILINE, "required": False},
        ],
    )

    party_day = _form(
        root,
        "party-day-2026q4",
        editor,
        reviewer,
        title="第四季度主题党日活动意见征集",
        kind=FormKind.OPINION,
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=3),
        intro="请对第四季度主题党日活动的安排提出意见，征集结果将用于安排明年的主题党日。",
        thank_you_text="感谢您的意见。",
        fields=[
            {
                "label": "本季度主题党日活动安排是否合理",
                "field_type": FieldType.RADIO,
                "required": True,
                "choices": "合理\n基本合理\n需要改进",
            },
            {"label": "对主题党日活动的意见建议", "field_type": FieldType.MULTILINE, "required": False},
        ],
    )

    _demo_answers(users, message=message, satisfaction=satisfaction, appraisal=appraisal, party_day=party_day)
    return {"message": message, "satisfaction": satisfaction, "appraisal": appraisal, "party_day": party_day}


def _submit(user, form, answers: dict[str, object], *, days_ago: float) -> None:
    moment = timezone.now() - datetime.timedelta(days=days_ago)
    named = {_name(form, label): value for label, value in answers.items()}
    services.submit(user, form, named, uuid.uuid4(), now=moment)


def _demo_answers(users, *, message, satisfaction, appraisal, party_day) -> None:
    """Answers through the services, once per form: the member area and 问卷结果 show them.
    member1 (the demo member) has answered the survey and the closed form, and still has the
    民主评议 to do."""
    if not Response.objects.filter(form=satisfaction).exists():
        _submit(
            users["member1"],
            satisfaction,
            {
                "您对本支部“三会一课”开展情况的总体评价": "满意",
                "党建工作对您本职工作的促进作用": 4,
                "您希望明年增加哪些学习形式": ["专题党课", "红色教育基地参观"],
                "对党委工作的意见和建议": "建议把专题党课的视频放到党员学习里，方便倒班的同志补学。",
            },
            days_ago=3,
        )
        _submit(
            users["activist1"],
            satisfaction,
            {
                "您对本支部“三会一课”开展情况的总体评价": "非常满意",
                "党建工作对您本职工作的促进作用": 5,
                "您希望明年增加哪些学习形式": ["线上学习", "读书分享会"],
            },
            days_ago=2,
        )
        _submit(
            users["member2"],
            satisfaction,
            {
                "您对本支部“三会一课”开展情况的总体评价": "基本满意",
                "党建工作对您本职工作的促进作用": 3,
                "您希望明年增加哪些学习形式": ["主题党日志愿服务", "线上学习"],
                "对党委工作的意见和建议": "主题党日的时间希望提前一周通知，便于安排班次。",
            },
            days_ago=1,
        )
    if not Response.objects.filter(form=appraisal).exists():
        # branch1 (支部书记) and member3 rate the branch's other Party members; member1 has
        # not yet. Anonymous: the response rows carry no account, unit or time.
        member1, member3, secretary = users["member1"], users["member3"], users["branch1"]
        _submit(
            secretary,
            appraisal,
            {
                "对本支部党员逐人评议": {
                    str(member1.pk): {"grade": "优秀", "comment": "学习认真，带头完成学习任务。"},
                    str(member3.pk): {"grade": "合格", "comment": ""},
                },
                "对支部委员会的意见建议": "支部学习可以多结合生产一线的实际问题。",
            },
            days_ago=1,
        )
        _submit(
            member3,
            appraisal,
            {
                "对本支部党员逐人评议": {
                    str(member1.pk): {"grade": "合格", "comment": ""},
                    str(secretary.pk): {"grade": "优秀", "comment": "工作扎实，关心党员。"},
                }
            },
            days_ago=0.5,
        )
    if not Response.objects.filter(form=party_day).exists():
        _submit(
            users["member1"],
            party_day,
            {
                "本季度主题党日活动安排是否合理": "合理",
                "对主题党日活动的意见建议": "志愿服务活动很有意义，希望继续开展。",
            },
            days_ago=20,
        )
        _submit(
            users["member2"],
            party_day,
            {
                "本季度主题党日活动安排是否合理": "需要改进",
                "对主题党日活动的意见建议": "活动时间与夜班冲突，建议安排在周末。",
            },
            days_ago=15,
        )
    if not Response.objects.filter(form=message).exists():
        # Two visitors' messages, as the public endpoint stores them (a date, nothing else).
        # The rate limit key is not a real client address, so no visitor is throttled by it.
        for category, text in [
            ("意见建议", "建议在网站上公布党员活动室的开放时间。"),
            ("表扬点赞", "第二党支部的志愿者帮我们小区修好了路灯，谢谢！"),
        ]:
            services.public_submit(
                message,
                {_name(message, "留言类别"): category, _name(message, "留言内容"): text},
                honeypot="",
                address="load_demo",
            )
