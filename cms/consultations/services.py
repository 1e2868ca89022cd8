"""Writes of consultations and suggestions. Every state change goes through here:

    待回复 ──answer──► 已回复 ──follow_up──► 待回复 …      any open state ──close──► 已关闭

* ``first_answered_at`` is set by the first answer only (time to first answer);
* the SLA counts CONSULTATION_SLA_WORKING_DAYS working days from the last question or
  follow-up nobody has answered (``awaiting_since`` → ``due_at``);
* who may do what is checked here too (``selectors``): a refusal is a ``PermissionDenied``,
  which the API answers as the same 404 as a missing item.

Time is the caller's only in tests (``now=``); views never pass it.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from cms.accounts.models import OrganisationUnit, User
from cms.delivery import services as delivery
from cms.delivery.answers import CONSULTATION_ANSWERED

from . import selectors
from .models import Addressee, Consultation, FaqPage, Kind, Message, State

MAX_TEXT = 5000
ATTACHMENT_EXTENSIONS = {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".txt", ".jpg", ".jpeg", ".png"}
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png"}


# ------------------------------------------------------------------------------- working days


def _holidays() -> set[dt.date]:
    return {day if isinstance(day, dt.date) else dt.date.fromisoformat(day) for day in settings.CONSULTATION_HOLIDAYS}


def is_working_day(day: dt.date, holidays: set[dt.date] | None = None) -> bool:
    """Monday to Friday, except the dates in CONSULTATION_HOLIDAYS. The statutory holidays
    are not built in (they are announced every year); operators list the year's closed days
    in that setting. Weekend days worked in exchange (调休) are not modelled: they count as
    days off, which only ever gives answerers more time, never less."""
    holidays = _holidays() if holidays is None else holidays
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """``start`` plus ``days`` working days, at the same local time of day. A question asked
    on a day off counts from the start of the next working day: asked on Friday 15:00 with 5
    days → the next Friday 15:00; asked on Saturday → the Monday after next, 00:00."""
    holidays = _holidays()
    local = timezone.localtime(start)
    if not is_working_day(local.date(), holidays):
        day = local.date()
        while not is_working_day(day, holidays):
            day += dt.timedelta(days=1)
        local = local.replace(year=day.year, month=day.month, day=day.day, hour=0, minute=0, second=0, microsecond=0)
    day, left = local.date(), days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    naive = dt.datetime.combine(day, local.time().replace(tzinfo=None))
    return timezone.make_aware(naive, timezone.get_current_timezone())


def due_after(start: dt.datetime) -> dt.datetime:
    return add_working_days(start, settings.CONSULTATION_SLA_WORKING_DAYS)


# ------------------------------------------------------------------------------- addressees


def committee_unit() -> OrganisationUnit | None:
    """The unit behind 党委办公室: CONSULTATION_COMMITTEE_UNIT (a unit name) if set, otherwise
    the first top-level 党委."""
    name = settings.CONSULTATION_COMMITTEE_UNIT
    units = OrganisationUnit.objects.all()
    if name:
        return units.filter(name=name).first()
    return units.filter(kind=OrganisationUnit.Kind.COMMITTEE, parent__isnull=True).order_by("sort_order", "pk").first()


def addressee_unit(user: User, addressee: str) -> OrganisationUnit:
    if addressee == Addressee.BRANCH:
        if user.organisation_id is None:
            raise ValidationError({"addressee": "您尚未编入党支部，请选择“党委办公室”。"})
        return user.organisation
    if addressee == Addressee.COMMITTEE:
        unit = committee_unit()
        if unit is None:
            raise ValidationError({"addressee": "尚未设置党委办公室，请选择“所在党支部”。"})
        return unit
    raise ValidationError({"addressee": "请选择提交给谁。"})


# ------------------------------------------------------------------------------- attachments


def check_attachment(file) -> None:
    """Chinese ValidationError unless ``file`` is an allowed kind, within
    CONSULTATION_ATTACHMENT_MAX_BYTES, and really what its extension says
    (cms.core.uploads.check_upload; images: Pillow must read them)."""
    from cms.core.uploads import check_upload

    name = getattr(file, "name", "") or ""
    suffix = PurePath(name).suffix.lower()
    if suffix not in ATTACHMENT_EXTENSIONS:
        raise ValidationError("附件只能是 PDF、Word、Excel、文本（.txt）或图片（.jpg、.png）文件。")
    limit = settings.CONSULTATION_ATTACHMENT_MAX_BYTES
    if file.size > limit:
        raise ValidationError(f"附件不能超过 {filesizeformat(limit)}，当前文件为 {filesizeformat(file.size)}。")
    if len(PurePath(name).name) > 150:
        raise ValidationError("附件文件名过长（不超过 150 个字符），请改名后再上传。")
    if suffix in IMAGE_EXTENSIONS:
        from PIL import Image, UnidentifiedImageError

        try:
            file.seek(0)
            with Image.open(file) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise ValidationError("图片无法识别，请上传真正的 JPG 或 PNG 图片。") from None
        finally:
            file.seek(0)
        return
    check_upload(file)


def _stored_attachment(file):
    """What is saved: images re-encoded without metadata (a phone photo's GPS position)."""
    if PurePath(file.name).suffix.lower() in IMAGE_EXTENSIONS:
        from cms.core.uploads import reencoded

        return reencoded(file)
    return file


def _add_message(consultation, kind, author, text, attachment, now) -> Message:
    message = Message(consultation=consultation, kind=kind, author=author, text=text, created_at=now)
    if attachment is not None:
        original = PurePath(attachment.name).name
        stored = _stored_attachment(attachment)
        message.attachment_name = original
        message.attachment_size = stored.size
        message.attachment.save(original, stored, save=False)
    message.save()
    return message


def _clean_text(text: str, field: str = "text", label: str = "内容") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: f"请填写{label}。"})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: f"{label}不能超过 {MAX_TEXT} 字。"})
    return text


def _checked_attachment(attachment, field="attachment"):
    if attachment is None:
        return None
    try:
        check_attachment(attachment)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    return attachment


# ------------------------------------------------------------------------------- the steps


@transaction.atomic
def ask(
    user: User,
    *,
    kind: str,
    addressee: str,
    subject: str,
    text: str,
    public_consent: bool = False,
    attachment=None,
    now: dt.datetime | None = None,
) -> Consultation:
    """A member asks (or suggests): the item and its first message."""
    now = now or timezone.now()
    errors = {}
    if kind not in Kind.values:
        errors["kind"] = ["请选择类型：咨询或意见建议。"]
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = ["请填写主题。"]
    elif len(subject) > 100:
        errors["subject"] = ["主题不能超过 100 字。"]
    for check in (
        lambda: addressee_unit(user, addressee),
        lambda: _clean_text(text),
        lambda: _checked_attachment(attachment),
    ):
        try:
            check()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    consultation = Consultation.objects.create(
        kind=kind,
        subject=subject,
        addressee=addressee,
        unit=addressee_unit(user, addressee),
        asker=user,
        public_consent=bool(public_consent),
        created_at=now,
        awaiting_since=now,
        due_at=due_after(now),
        last_seen_at=now,
    )
    _add_message(consultation, Message.Kind.QUESTION, user, _clean_text(text), attachment, now)
    return consultation


def _locked(consultation: Consultation) -> Consultation:
    """The row locked and read again into the caller's object (which then shows the result):
    two answerers (or an answer and a close) never interleave."""
    Consultation.objects.select_for_update().filter(pk=consultation.pk).values_list("pk").get()
    consultation.refresh_from_db()
    return consultation


@transaction.atomic
def answer(
    user: User, consultation: Consultation, text: str, attachment=None, now: dt.datetime | None = None
) -> Message:
    """An answerer replies: 已回复; the first answer's time is kept for good."""
    if not selectors.can_answer(user, consultation):
        raise PermissionDenied
    now = now or timezone.now()
    text = _clean_text(text, label="答复内容")
    _checked_attachment(attachment)
    consultation = _locked(consultation)
    if consultation.state == State.CLOSED:
        raise ValidationError("该事项已关闭，不能再答复。")
    message = _add_message(consultation, Message.Kind.ANSWER, user, text, attachment, now)
    consultation.state = State.ANSWERED
    consultation.first_answered_at = consultation.first_answered_at or now
    consultation.last_answered_at = now
    consultation.awaiting_since = consultation.due_at = None
    consultation.save(update_fields=["state", "first_answered_at", "last_answered_at", "awaiting_since", "due_at"])
    _audit("answered", user, consultation, {"kind": consultation.get_kind_display()})
    # The asker's email, if they chose it: written once the answer is committed, sent by the worker.
    transaction.on_commit(partial(delivery.announce, CONSULTATION_ANSWERED, consultation))
    return message


@transaction.atomic
def follow_up(
    user: User, consultation: Consultation, text: str, attachment=None, now: dt.datetime | None = None
) -> Message:
    """The asker adds a follow-up until the item is closed: back to 待回复, and the SLA counts
    from this follow-up (unless an earlier one is still unanswered)."""
    if not selectors.is_asker(user, consultation):
        raise PermissionDenied
    now = now or timezone.now()
    text = _clean_text(text, label="追问内容")
    _checked_attachment(attachment)
    consultation = _locked(consultation)
    if consultation.state == State.CLOSED:
        raise ValidationError("该事项已关闭，不能再追问。如有新问题，请重新提问。")
    message = _add_message(consultation, Message.Kind.FOLLOW_UP, user, text, attachment, now)
    if consultation.state != State.PENDING:
        consultation.state = State.PENDING
        consultation.awaiting_since, consultation.due_at = now, due_after(now)
    consultation.last_seen_at = now
    consultation.save(update_fields=["state", "awaiting_since", "due_at", "last_seen_at"])
    return message


@transaction.atomic
def close(user: User, consultation: Consultation, now: dt.datetime | None = None) -> Consultation:
    """The asker or an answerer closes the item (no more follow-ups or answers)."""
    asker = selectors.is_asker(user, consultation)
    if not (asker or selectors.can_answer(user, consultation)):
        raise PermissionDenied
    now = now or timezone.now()
    consultation = _locked(consultation)
    if consultation.state == State.CLOSED:
        raise ValidationError("该事项已经关闭。")
    consultation.state = State.CLOSED
    consultation.closed_at, consultation.closed_by = now, user
    consultation.awaiting_since = consultation.due_at = None
    fields = ["state", "closed_at", "closed_by", "awaiting_since", "due_at"]
    if asker:
        consultation.last_seen_at = now
        fields.append("last_seen_at")
    consultation.save(update_fields=fields)
    if not asker:  # the asker closing their own item is no official's decision
        _audit("closed", user, consultation, {"state": State.CLOSED.label})
    return consultation


def mark_seen(user: User, consultation: Consultation, now: dt.datetime | None = None) -> None:
    """The asker opened the item: its answers no longer count in the badge."""
    if selectors.is_asker(user, consultation):
        now = now or timezone.now()
        Consultation.objects.filter(pk=consultation.pk).update(last_seen_at=now)
        consultation.last_seen_at = now


def _audit(what: str, user, consultation: Consultation, details: dict) -> None:
    from cms.audit.models import Action
    from cms.audit.services import record

    action = {
        "answered": Action.CONSULTATION_ANSWERED,
        "closed": Action.CONSULTATION_CLOSED,
        "faq": Action.CONSULTATION_FAQ_DRAFTED,
    }[what]
    # The subject may name people; the entry names the item by its number only.
    record(
        action,
        actor=user,
        obj=consultation,
        object_type="consultation",
        object_id=consultation.pk,
        object_repr=f"{consultation.get_kind_display()} #{consultation.pk}",
        details=details,
    )


# ------------------------------------------------------------------------------- FAQ drafts


def faq_sections_for(user: User):
    """Sections of the public site under which ``user`` may add an FAQ page."""
    from cms.openness.models import SectionPage

    from .models import FaqPage

    sections = SectionPage.objects.live().specific().order_by("path")
    return [
        section
        for section in sections
        if section.permissions_for_user(user).can_add_subpage()
        and FaqPage in section.specific_class.allowed_subpage_models()
    ]


@transaction.atomic
def make_faq_draft(user: User, consultation: Consultation, section) -> FaqPage:
    """A DRAFT FAQ page under ``section``, pre-filled with the first question and the last
    answer for the editor to rewrite. Only for answered items whose asker agreed, by someone
    who may read the item and add pages there. Nothing is public until the editor has
    rewritten it, ticked 已去除个人信息 and the page passed 审核发布."""
    from wagtail.rich_text import RichText

    from .models import FaqPage

    if not selectors.can_answer(user, consultation):
        raise PermissionDenied
    if not consultation.public_consent:
        raise ValidationError("提问人没有同意公开，不能转为常见问题。")
    if consultation.first_answered_at is None:
        raise ValidationError("答复后才能转为常见问题。")
    if section not in faq_sections_for(user):
        raise PermissionDenied
    messages = list(consultation.messages.all())
    question = next(m.text for m in messages if m.kind == Message.Kind.QUESTION)
    answer_text = [m.text for m in messages if m.kind == Message.Kind.ANSWER][-1]
    from build_scripts.html_safety import escape

    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in answer_text.splitlines() if line.strip())
    # A neutral slug (the title is to be rewritten anyway): nothing of the question in the URL.
    slug, number = f"faq-{consultation.pk}", 1
    while section.get_children().filter(slug=slug).exists():
        number += 1
        slug = f"faq-{consultation.pk}-{number}"
    page = FaqPage(
        title="（请改写）常见问题",
        slug=slug,
        question=question,
        source_consultation=consultation,
        body=[("paragraph", RichText(paragraphs))],
        live=False,
        owner=user,
    )
    section.add_child(instance=page)
    page.save_revision(user=user, log_action=True)
    _audit("faq", user, consultation, {"target": f"页面 #{page.pk}"})
    return page


def personal_details_left(page) -> list[str]:
    """Which of the asker's identifying details (name, account, branch, attachment names) are
    still in the FAQ page's public fields: publishing is refused while any is."""
    consultation = page.source_consultation
    if consultation is None:
        return []
    asker = consultation.asker
    details = []
    if asker is not None:
        details += [("姓名", asker.get_full_name()), ("工号", asker.username)]
        if asker.organisation_id:
            details.append(("所在支部", asker.organisation.name))
    if consultation.addressee == Addressee.BRANCH:
        details.append(("所在支部", consultation.unit.name))
    details += [
        ("附件名", name)
        for name in consultation.messages.exclude(attachment_name="").values_list("attachment_name", flat=True)
    ]
    text = " ".join([page.title, page.question, page.summary, str(page.body.render_as_block()) if page.body else ""])
    return sorted({label for label, value in details if value and len(value) >= 2 and value in text})
