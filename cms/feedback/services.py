"""Writes of feedback forms: drafts, submissions (member and public), attachments, and the
validation of answers, with a Chinese message per question.

A member submits once: the submission runs in one transaction with the respondent's user row
locked, and ``Participation`` is unique per form and person, so two tabs or a retried
request count once. The page sends a ``submission_key`` per attempt; the same key again
returns the same result without touching anything.

Anonymous forms: the ``Participation`` row says who answered, the ``Response`` row says what
was answered, and nothing connects them — no user, unit or time on the response, a random
primary key, the submission key only on the participation, and attachments lose their
uploader when submitted."""

from __future__ import annotations

import datetime
import decimal
import hashlib
import hmac
import json
import math
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from wagtail.models import Page

from cms.accounts.models import User
from cms.core.uploads import check_upload

from . import selectors
from .models import (
    CHOICE_TYPES,
    PEER_GRADES,
    TEXT_TYPES,
    AnswerFile,
    Draft,
    FeedbackFormPage,
    FieldType,
    FormField,
    FormsIndexPage,
    Participation,
    PublicSubmitCounter,
    Response,
)

#: Whole answer bodies (and drafts) above this many bytes of JSON are refused.
MAX_BODY_BYTES = 64 * 1024
#: Attachments one person may keep for one form before submitting (a form has few file
#: questions; more uploads are someone filling the disk).
MAX_PENDING_FILES = 20
#: Submissions one client may send to one public form per window.
PUBLIC_WINDOW = datetime.timedelta(hours=1)

CLOSED_MESSAGE = "问卷已截止，不能再提交。"
UPCOMING_MESSAGE = "问卷尚未开始，请在开始时间后填写。"
ALREADY_SUBMITTED_MESSAGE = "您已提交过这份问卷，不能重复提交。"
TOO_LARGE_MESSAGE = "提交的内容过多，请精简后再提交。"
THROTTLED_MESSAGE = "提交过于频繁，请稍后再试。"
HONEYPOT_MESSAGE = "提交未被接受，请刷新页面后重试。"
PUBLIC_THANKS = "提交成功，感谢您的来信。"


class FormClosed(ValidationError):
    """The form does not take answers now (code ``closed``)."""


class AlreadySubmitted(ValidationError):
    """Answered already and not changeable (code ``already_submitted``)."""


class TooLarge(ValidationError):
    """The body is over the size limit (HTTP 413)."""


class Throttled(Exception):
    """Too many public submissions from one client (HTTP 429)."""


def ensure_forms_root() -> FormsIndexPage:
    """The private 问卷中心 root, directly under Wagtail's root (outside every Site)."""
    root = FormsIndexPage.objects.first()
    if root is not None:
        return root
    root = Page.get_first_root_node().add_child(instance=FormsIndexPage(title="问卷中心", slug="forms", live=False))
    root.save_revision().publish()
    return root


# ------------------------------------------------------------------------------ validation


def _body_size(answers) -> int:
    return len(json.dumps(answers, ensure_ascii=False).encode())


def check_size(answers) -> None:
    if _body_size(answers) > MAX_BODY_BYTES:
        raise TooLarge(TOO_LARGE_MESSAGE, code="too_large")


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {} or (isinstance(value, str) and not value.strip())


def _text(field: FormField, value) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"“{field.label}”须为文字。")
    value = value.strip()
    if field.field_type == FieldType.SINGLELINE:
        value = " ".join(value.split())  # one line: no line breaks smuggled in
    if len(value) > selectors.MAX_TEXT_LENGTH:
        raise ValidationError(f"“{field.label}”不能超过 {selectors.MAX_TEXT_LENGTH} 个字（现有 {len(value)} 个）。")
    return value


def _choice(field: FormField, value):
    choices = field.choice_list
    if field.field_type == FieldType.CHECKBOXES:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValidationError(f"“{field.label}”的选项无效，请重新选择。")
        if any(item not in choices for item in value) or len(set(value)) != len(value):
            raise ValidationError(f"“{field.label}”的选项无效，请重新选择。")
        return [choice for choice in choices if choice in value]  # the editor's order
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(f"“{field.label}”的选项无效，请重新选择。")
    return value


def _rating(field: FormField, value) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not selectors.RATING_MIN <= value <= selectors.RATING_MAX
    ):
        raise ValidationError(f"“{field.label}”须为 {selectors.RATING_MIN} 到 {selectors.RATING_MAX} 之间的整数。")
    return value


def _date(field: FormField, value) -> str:
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValidationError(f"“{field.label}”须为有效日期，例如 2026-07-01。") from None


def _plain(number: decimal.Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _number(field: FormField, value):
    low, high = field.min_value, field.max_value
    if low is not None and high is not None:
        message = f"“{field.label}”须为 {_plain(low)} 到 {_plain(high)} 之间的数字。"
    elif low is not None:
        message = f"“{field.label}”须为不小于 {_plain(low)} 的数字。"
    elif high is not None:
        message = f"“{field.label}”须为不大于 {_plain(high)} 的数字。"
    else:
        message = f"“{field.label}”须为数字。"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValidationError(message)
    if isinstance(value, str) and (not value.strip() or len(value) > 30):
        raise ValidationError(message)
    try:
        number = decimal.Decimal(
            value.strip() if isinstance(value, str) else repr(value) if isinstance(value, float) else value
        )
    except (decimal.InvalidOperation, ValueError):
        raise ValidationError(message) from None
    if not number.is_finite() or abs(number) >= decimal.Decimal("1e15"):
        raise ValidationError(message)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(message)
    if number == number.to_integral_value():
        return int(number)
    result = float(number)
    if not math.isfinite(result):
        raise ValidationError(message)
    return result


def _file(field: FormField, value, *, form: FeedbackFormPage, user: User | None) -> str:
    message = f"“{field.label}”的附件无效或已失效，请重新上传。"
    try:
        token = uuid.UUID(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        token = None
    if token is None or user is None:
        raise ValidationError(message)
    if not AnswerFile.objects.filter(pk=token, form=form, user=user).exists():
        raise ValidationError(message)
    return str(token)


def _peer_review(field: FormField, value, *, peers: list[dict]) -> dict:
    names = {str(person["id"]): person["name"] for person in peers}
    if not isinstance(value, dict):
        raise ValidationError(f"“{field.label}”的内容无效，请刷新页面后重试。")
    unknown = [key for key in value if key not in names]
    if unknown:
        raise ValidationError(f"“{field.label}”中有不在评议名单上的人员，请刷新页面后重试。")
    cleaned = {}
    for key, name in names.items():
        entry = value.get(key)
        if entry is None or entry == {}:
            if field.required:
                raise ValidationError(f"请为{name}选择评议等次。")
            continue
        if not isinstance(entry, dict) or set(entry) - {"grade", "comment"}:
            raise ValidationError(f"对{name}的评议内容无效，请刷新页面后重试。")
        grade, comment = entry.get("grade"), entry.get("comment", "")
        if grade in (None, ""):
            if field.required or (isinstance(comment, str) and comment.strip()):
                raise ValidationError(f"请为{name}选择评议等次。")
            continue
        if grade not in PEER_GRADES:
            raise ValidationError(f"对{name}的评议等次无效，请在“{'”“'.join(PEER_GRADES)}”中选择。")
        if comment is None:
            comment = ""
        if not isinstance(comment, str):
            raise ValidationError(f"对{name}的评语须为文字。")
        comment = comment.strip()
        if len(comment) > selectors.MAX_COMMENT_LENGTH:
            raise ValidationError(f"对{name}的评语不能超过 {selectors.MAX_COMMENT_LENGTH} 个字。")
        cleaned[key] = {"grade": grade, "comment": comment}
    return cleaned


REQUIRED_MESSAGES = {
    FieldType.RADIO: "请选择“{}”。",
    FieldType.DROPDOWN: "请选择“{}”。",
    FieldType.CHECKBOXES: "请选择“{}”。",
    FieldType.RATING: "请为“{}”评分。",
    FieldType.FILE: "请上传“{}”。",
}


def clean_answers(form: FeedbackFormPage, answers, *, user: User | None = None) -> dict:
    """Validated and normalised answers, or a ValidationError with one Chinese message per
    question (keyed by the question's name). Empty optional answers are left out."""
    if not isinstance(answers, dict):
        raise ValidationError({"answers": ["答案格式无效，请刷新页面后重试。"]})
    check_size(answers)
    fields = selectors.fields_of(form)
    by_name = {field.clean_name: field for field in fields if field.field_type != FieldType.SECTION}
    errors: dict[str, list[str]] = {}
    for key in answers:
        if key not in by_name:
            errors[str(key)[:100]] = ["问卷中没有这个问题，请刷新页面后重试。"]
    peers = None
    cleaned = {}
    for name, field in by_name.items():
        value = answers.get(name)
        if _is_empty(value):
            if field.required:
                if field.field_type == FieldType.PEER_REVIEW:
                    peers = selectors.branch_peers(user) if peers is None else peers
                    if not peers:
                        continue  # a branch of one: nobody to rate
                    errors[name] = [f"请为{peers[0]['name']}选择评议等次。"]
                else:
                    errors[name] = [REQUIRED_MESSAGES.get(field.field_type, "请填写“{}”。").format(field.label)]
            continue
        try:
            kind = field.field_type
            if kind in TEXT_TYPES:
                cleaned[name] = _text(field, value)
            elif kind in CHOICE_TYPES:
                cleaned[name] = _choice(field, value)
            elif kind == FieldType.RATING:
                cleaned[name] = _rating(field, value)
            elif kind == FieldType.DATE:
                cleaned[name] = _date(field, value)
            elif kind == FieldType.NUMBER:
                cleaned[name] = _number(field, value)
            elif kind == FieldType.FILE:
                cleaned[name] = _file(field, value, form=form, user=user)
            elif kind == FieldType.PEER_REVIEW:
                peers = selectors.branch_peers(user) if peers is None else peers
                cleaned[name] = _peer_review(field, value, peers=peers)
            else:
                raise ValidationError("该问题无法作答。")
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def check_open(form: FeedbackFormPage, now: datetime.datetime | None = None) -> None:
    state = selectors.time_state(form, now)
    if state == "closed":
        raise FormClosed(CLOSED_MESSAGE, code="closed")
    if state == "upcoming":
        raise FormClosed(UPCOMING_MESSAGE, code="closed")


# ------------------------------------------------------------------------------ member writes


def _check_access(user: User, form: FeedbackFormPage) -> None:
    if selectors.visible_form(user, form.pk) is None:
        raise PermissionDenied("您不在这份问卷的填写范围内。")


def _can_still_submit(form: FeedbackFormPage, participation: Participation | None) -> bool:
    return participation is None or (form.allow_change and not form.anonymous)


def save_draft(user: User, form: FeedbackFormPage, answers, *, now: datetime.datetime | None = None) -> Draft:
    """Keep unfinished answers (no validation beyond shape and size: a draft may be incomplete)."""
    _check_access(user, form)
    if not isinstance(answers, dict):
        raise ValidationError({"answers": ["答案格式无效，请刷新页面后重试。"]})
    check_size(answers)
    names = {field.clean_name for field in selectors.fields_of(form) if field.field_type != FieldType.SECTION}
    unknown = [key for key in answers if key not in names]
    if unknown:
        raise ValidationError({str(key)[:100]: ["问卷中没有这个问题，请刷新页面后重试。"] for key in unknown})
    check_open(form, now)
    now = now or timezone.now()
    with transaction.atomic():
        participation = Participation.objects.filter(form=form, user=user).first()
        if not _can_still_submit(form, participation):
            raise AlreadySubmitted(ALREADY_SUBMITTED_MESSAGE, code="already_submitted")
        draft, _ = Draft.objects.update_or_create(form=form, user=user, defaults={"answers": answers, "saved_at": now})
    return draft


def submit(
    user: User, form: FeedbackFormPage, answers, submission_key, *, now: datetime.datetime | None = None
) -> Participation:
    """Record the person's answers once. The same ``submission_key`` again returns the same
    participation untouched; a changeable named form replaces its answers."""
    _check_access(user, form)
    key = _key(submission_key)
    existing = Participation.objects.filter(form=form, user=user).first()
    if existing is not None and existing.submission_key == key:
        return existing  # a retry of the attempt that went through
    check_open(form, now)
    cleaned = clean_answers(form, answers, user=user)
    now = now or timezone.now()
    today = timezone.localdate(now)
    try:
        with transaction.atomic():
            # One submission per person at a time: two tabs or a double click wait here.
            User.objects.select_for_update().filter(pk=user.pk).first()
            participation = Participation.objects.filter(form=form, user=user).first()
            if participation is not None and participation.submission_key == key:
                return participation
            if not _can_still_submit(form, participation):
                raise AlreadySubmitted(ALREADY_SUBMITTED_MESSAGE, code="already_submitted")
            if participation is None:
                participation = Participation.objects.create(
                    form=form, user=user, submitted_on=today, unit_id=user.organisation_id, submission_key=key
                )
                _store_response(form, user, cleaned, now)
            else:  # a changeable named form: the same response, new answers
                participation.submission_key = key
                participation.save(update_fields=["submission_key"])
                Response.objects.filter(form=form, user=user).update(answers=cleaned, updated_at=now)
            _claim_files(form, user, cleaned)
            Draft.objects.filter(form=form, user=user).delete()
    except IntegrityError:
        # Another request created the participation between our check and insert.
        participation = Participation.objects.filter(form=form, user=user).first()
        if participation is not None and participation.submission_key == key:
            return participation
        raise AlreadySubmitted(ALREADY_SUBMITTED_MESSAGE, code="already_submitted") from None
    return participation


def _key(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value)) if value is not None and len(str(value)) <= 40 else _bad_key()
    except ValueError:
        return _bad_key()


def _bad_key():
    raise ValidationError({"submission_key": ["提交标识无效，请刷新页面后重试。"]})


def _store_response(form: FeedbackFormPage, user: User, answers: dict, now: datetime.datetime) -> Response:
    today = timezone.localdate(now)
    if form.anonymous:
        return Response.objects.create(form=form, answers=answers, submitted_on=today)
    return Response.objects.create(
        form=form, answers=answers, submitted_on=today, user=user, submitted_at=now, updated_at=now
    )


def _claim_files(form: FeedbackFormPage, user: User, answers: dict) -> None:
    tokens = [
        answers[field.clean_name]
        for field in selectors.fields_of(form)
        if field.field_type == FieldType.FILE and field.clean_name in answers
    ]
    if not tokens:
        return
    changes = {"submitted": True}
    if form.anonymous:
        changes["user"] = None  # the file must not say who answered
    AnswerFile.objects.filter(form=form, user=user, pk__in=tokens).update(**changes)


def upload_file(user: User, form: FeedbackFormPage, upload) -> AnswerFile:
    """Keep an attachment for a file question of ``form`` (size and content checked)."""
    _check_access(user, form)
    if not any(f.field_type == FieldType.FILE for f in selectors.fields_of(form)):
        raise ValidationError({"file": ["这份问卷不需要上传附件。"]})
    check_open(form)
    if upload is None:
        raise ValidationError({"file": ["请选择要上传的文件。"]})
    name = PurePath(upload.name or "").name[-200:] or "附件"
    suffix = PurePath(name).suffix.lower()
    if suffix not in selectors.FILE_EXTENSIONS:
        raise ValidationError(
            {"file": [f"不支持该文件类型，请上传 {'、'.join(e.lstrip('.') for e in selectors.FILE_EXTENSIONS)} 文件。"]}
        )
    limit = selectors.max_file_bytes()
    if upload.size > limit:
        raise ValidationError(
            {"file": [f"附件不能超过 {filesizeformat(limit)}，当前文件为 {filesizeformat(upload.size)}。"]}
        )
    try:
        check_upload(upload)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    if AnswerFile.objects.filter(form=form, user=user, submitted=False).count() >= MAX_PENDING_FILES:
        raise ValidationError({"file": [f"未提交的附件已达 {MAX_PENDING_FILES} 个，请先提交问卷。"]})
    return AnswerFile.objects.create(
        form=form, user=user, file=upload, name=name, size=upload.size, uploaded_on=timezone.localdate()
    )


# ------------------------------------------------------------------------------ public forms


def _daily_salt(day: datetime.date) -> bytes:
    # Derived, not stored: nothing on disk turns yesterday's hashes back into addresses, and
    # every app server computes the same salt.
    return hmac.new(
        settings.SECRET_KEY.encode(), f"feedback-public-salt:{day.isoformat()}".encode(), hashlib.sha256
    ).digest()


def client_key(address: str, form_id: int, now: datetime.datetime) -> str:
    """HMAC(daily salt, address, form id, window): the only trace of a client we keep."""
    window = int(now.timestamp() // PUBLIC_WINDOW.total_seconds())
    message = f"{address}|{form_id}|{window}".encode()
    return hmac.new(_daily_salt(timezone.localdate(now)), message, hashlib.sha256).hexdigest()


def public_limit() -> int:
    return int(getattr(settings, "FEEDBACK_PUBLIC_SUBMISSIONS_PER_HOUR", 10))


def _count_attempt(address: str, form: FeedbackFormPage, now: datetime.datetime) -> None:
    PublicSubmitCounter.objects.filter(expires_at__lte=now).delete()
    key = client_key(address, form.pk, now)
    with transaction.atomic():
        counter, _ = PublicSubmitCounter.objects.select_for_update().get_or_create(
            key_hash=key, defaults={"expires_at": now + PUBLIC_WINDOW}
        )
        if counter.count >= public_limit():
            raise Throttled(THROTTLED_MESSAGE)
        PublicSubmitCounter.objects.filter(pk=counter.pk).update(count=counter.count + 1)


def public_submit(
    form: FeedbackFormPage, answers, *, honeypot, address: str, now: datetime.datetime | None = None
) -> Response:
    """A visitor's answers to a public form: the honeypot must be empty, the body small and
    the client within its rate; then the answers are validated and stored with a date only."""
    now = now or timezone.now()
    if honeypot not in (None, ""):
        raise ValidationError(HONEYPOT_MESSAGE)
    check_size(answers)
    _count_attempt(address, form, now)
    check_open(form, now)
    cleaned = clean_answers(form, answers, user=None)
    return Response.objects.create(form=form, answers=cleaned, submitted_on=timezone.localdate(now))


#: Attachments uploaded but never submitted are deleted after this many days.
UNSUBMITTED_FILE_DAYS = 7


def prune_unsubmitted_files(*, today: datetime.date | None = None) -> int:
    """Delete attachments never submitted with answers (abandoned uploads still name their
    uploader, and nobody may read them): the rows and the files on disk."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=UNSUBMITTED_FILE_DAYS)
    removed = 0
    for stored in AnswerFile.objects.filter(submitted=False, uploaded_on__lt=cutoff):
        stored.file.delete(save=False)
        stored.delete()
        removed += 1
    return removed
