"""Reads of feedback forms: which forms a person may answer, in which state, and the one
definition of a form's questions that the API serves and the exporter writes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from wagtail.models import Site

from cms.accounts.audience import is_in_audience, organisation_path_ids
from cms.accounts.models import MemberStatus, Membership, User

from .models import (
    CHOICE_TYPES,
    PEER_GRADES,
    TEXT_TYPES,
    Draft,
    FeedbackFormPage,
    FieldType,
    FormField,
    FormsIndexPage,
    Participation,
    Response,
)

#: Characters per text answer and per peer-review comment.
MAX_TEXT_LENGTH = 2000
MAX_COMMENT_LENGTH = 500
RATING_MIN, RATING_MAX = 1, 5
#: Attachments a file question accepts: document formats whose content cms/core/uploads.py
#: can check against the extension.
FILE_EXTENSIONS = [".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".txt"]
#: Statuses whose people are rated in 民主评议党员 (Party members, full and probationary).
PEER_STATUSES = (MemberStatus.FULL, MemberStatus.PROBATIONARY)

STATE_LABELS = {"open": "可填写", "answered": "已填写", "closed": "已截止", "upcoming": "未开始"}


def max_file_bytes() -> int:
    return min(getattr(settings, "FEEDBACK_FILE_MAX_BYTES", 10 * 1024 * 1024), settings.UPLOAD_MAX_BYTES["document"])


def forms_root() -> FormsIndexPage | None:
    return FormsIndexPage.objects.first()


def member_forms():
    """Live forms under 问卷中心 (never a public one), newest first."""
    root = forms_root()
    if root is None:
        return FeedbackFormPage.objects.none()
    return (
        FeedbackFormPage.objects.live()
        .descendant_of(root)
        .prefetch_related("audience_units")
        .order_by("-first_published_at", "-pk")
    )


def public_forms(site: Site | None = None):
    """Live public forms of the public site: under it, and with no view restriction."""
    site = site or Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return FeedbackFormPage.objects.none()
    return FeedbackFormPage.objects.live().public().descendant_of(site.root_page)


def live_public_form(form_id: int) -> FeedbackFormPage | None:
    return public_forms().filter(pk=form_id).first()


def can_answer(user: User, form: FeedbackFormPage, *, path_ids: set[int] | None = None) -> bool:
    """Member forms are for their audience only: a 管理员 outside it checks a form in the
    editor's preview of the question list, never by answering (that would count)."""
    return bool(user.is_authenticated and user.is_active and is_in_audience(user, form, path_ids=path_ids))


def forms_for(user: User) -> list[FeedbackFormPage]:
    """Live member forms in the person's audience (upcoming and closed ones included)."""
    if not (user.is_authenticated and user.is_active):
        return []
    path_ids = organisation_path_ids(user)
    return [form for form in member_forms() if can_answer(user, form, path_ids=path_ids)]


def waiting_count(user: User, now: datetime.datetime | None = None) -> int:
    """Member forms open now that the person has not answered: the count on the 我的问卷 tab
    (session ``badges["forms"]``)."""
    forms = [form for form in forms_for(user) if time_state(form, now) == "open"]
    if not forms:
        return 0
    answered = set(
        Participation.objects.filter(user=user, form_id__in=[form.pk for form in forms]).values_list(
            "form_id", flat=True
        )
    )
    return sum(1 for form in forms if form.pk not in answered)


def visible_form(user: User, form_id: int) -> FeedbackFormPage | None:
    """A live member form the person may answer, or None — missing, unpublished and outside
    the audience are deliberately not told apart."""
    form = member_forms().filter(pk=form_id).first()
    return form if form is not None and can_answer(user, form) else None


def time_state(form: FeedbackFormPage, now: datetime.datetime | None = None) -> str:
    """ "upcoming", "closed" or "open" by the clock alone."""
    now = now or timezone.now()
    if form.opens_at and now < form.opens_at:
        return "upcoming"
    if form.closes_at and now >= form.closes_at:
        return "closed"
    return "open"


def form_state(form: FeedbackFormPage, answered: bool, now: datetime.datetime | None = None) -> str:
    state = time_state(form, now)
    return "answered" if state == "open" and answered else state


# ------------------------------------------------------------------------------ definition


def branch_peers(user: User | None) -> list[dict]:
    """The people a respondent rates in 民主评议党员: the Party members (正式、预备) of their
    own branch with an active account, themselves excluded, in a stable order."""
    if user is None or not user.is_authenticated or user.organisation_id is None:
        return []
    records = (
        Membership.objects.filter(
            user__organisation_id=user.organisation_id, status__in=PEER_STATUSES, user__is_active=True
        )
        .exclude(user_id=user.pk)
        .select_related("user")
        .order_by("user__username", "user_id")
    )
    return [{"id": record.user_id, "name": record.user.display_name} for record in records]


def fields_of(form: FeedbackFormPage) -> list[FormField]:
    return list(form.form_fields.all())


def field_definition(field: FormField, peers: list[dict] | None = None) -> dict:
    kind = field.field_type
    definition = {
        "name": field.clean_name,
        "type": kind,
        "label": field.label,
        "help_text": field.help_text,
        "required": bool(field.required) and kind != FieldType.SECTION,
        "choices": field.choice_list if kind in CHOICE_TYPES else [],
        "min": None,
        "max": None,
        "max_length": None,
        "accept": [],
        "max_bytes": None,
        "people": [],
        "grades": [],
    }
    if kind == FieldType.NUMBER:
        definition["min"] = float(field.min_value) if field.min_value is not None else None
        definition["max"] = float(field.max_value) if field.max_value is not None else None
    elif kind == FieldType.RATING:
        definition["min"], definition["max"] = RATING_MIN, RATING_MAX
    elif kind in TEXT_TYPES:
        definition["max_length"] = MAX_TEXT_LENGTH
    elif kind == FieldType.FILE:
        definition["accept"] = list(FILE_EXTENSIONS)
        definition["max_bytes"] = max_file_bytes()
    elif kind == FieldType.PEER_REVIEW:
        definition["people"] = list(peers or [])
        definition["grades"] = list(PEER_GRADES)
    return definition


def form_definition(page: FeedbackFormPage, respondent: User | None = None) -> list[dict]:
    """The form's questions as the API serves them and the exporter writes them (front matter
    ``dj_form``): one list of Field objects (docs/member-api.md). ``respondent`` fills the
    peer-review lists with their branch's members; public forms have none."""
    fields = fields_of(page)
    peers = branch_peers(respondent) if any(f.field_type == FieldType.PEER_REVIEW for f in fields) else []
    return [field_definition(field, peers) for field in fields]


# ------------------------------------------------------------------------------ overviews


@dataclass
class FormOverview:
    """A member form as one person sees it."""

    form: FeedbackFormPage
    state: str
    participation: Participation | None
    response: Response | None  # named forms only
    draft: Draft | None
    fields: list[dict] | None = None

    @property
    def submitted_at(self) -> str | None:
        """An ISO datetime for named forms; for anonymous forms the date only."""
        if self.participation is None:
            return None
        if self.form.anonymous or self.response is None or self.response.submitted_at is None:
            return self.participation.submitted_on.isoformat()
        return timezone.localtime(self.response.submitted_at).isoformat()

    @property
    def answers(self) -> dict | None:
        if self.form.anonymous or self.response is None:
            return None
        return self.response.answers

    @property
    def has_draft(self) -> bool:
        return self.draft is not None


def form_overviews(
    user: User, forms, *, with_fields: bool = False, now: datetime.datetime | None = None
) -> list[FormOverview]:
    """Several forms with the person's state in a fixed number of queries."""
    forms = list(forms)
    ids = [form.pk for form in forms]
    participations = {p.form_id: p for p in Participation.objects.filter(user=user, form_id__in=ids)}
    named = [form.pk for form in forms if not form.anonymous]
    responses = {r.form_id: r for r in Response.objects.filter(user=user, form_id__in=named)}
    drafts = {d.form_id: d for d in Draft.objects.filter(user=user, form_id__in=ids)}
    overviews = []
    for form in forms:
        participation = participations.get(form.pk)
        overviews.append(
            FormOverview(
                form=form,
                state=form_state(form, participation is not None, now),
                participation=participation,
                response=responses.get(form.pk),
                draft=drafts.get(form.pk),
                fields=form_definition(form, user) if with_fields else None,
            )
        )
    return overviews


def form_overview(user: User, form: FeedbackFormPage) -> FormOverview:
    [overview] = form_overviews(user, [form], with_fields=True)
    return overview


# ------------------------------------------------------------------------------ results access
# Who reads answers: holders of ``feedback.view_form_results`` (支部书记) and 管理员, each
# within ``accounts.selectors.scope_of``: a secretary reads named answers of the people of
# their own units only, and an anonymous form's answers (which name nobody) only when the
# whole audience lies within their units; public forms' answers are for 管理员.


def may_read_results(user: User) -> bool:
    """Holds the right to 问卷结果 (whose answers is then up to the scope)."""
    from cms.accounts.selectors import sees_every_unit

    if not (user.is_authenticated and user.is_active):
        return False
    return user.has_perm("feedback.view_form_results") or sees_every_unit(user)


def can_view_results(user: User, scope=None) -> bool:
    from cms.accounts.selectors import scope_of

    return may_read_results(user) and not (scope or scope_of(user)).is_empty


def audience_unit_ids(form: FeedbackFormPage) -> set[int] | None:
    """Every unit the form is aimed at, below ones included (None: everyone)."""
    from cms.accounts.selectors import descendant_ids

    chosen = list(form.audience_units.all())
    if not chosen:
        return None
    return {pk for unit in chosen for pk in descendant_ids(unit)}


def form_reaches(form: FeedbackFormPage, scope) -> bool:
    """A results reader with ``scope`` has business with this form at all."""
    if scope.everything:
        return True
    if scope.is_empty or form.is_public_form():
        return False
    units = audience_unit_ids(form)
    return units is None or bool(units & scope.unit_ids)


def can_read_anonymous_answers(form: FeedbackFormPage, scope) -> bool:
    if scope.everything:
        return True
    units = audience_unit_ids(form)
    return units is not None and not form.is_public_form() and units <= scope.unit_ids


def can_read_file(user: User, stored, scope=None) -> bool:
    """An attachment: submitted with answers the reader may read."""
    from cms.accounts.selectors import scope_of

    scope = scope or scope_of(user)
    if not (stored.submitted and can_view_results(user, scope)):
        return False
    form = stored.form
    if not form_reaches(form, scope):
        return False
    if form.anonymous:
        return can_read_anonymous_answers(form, scope)
    uploader = stored.user
    return uploader is not None and scope.covers(uploader.organisation_id)
