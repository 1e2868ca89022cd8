"""Feedback forms (问卷): where they live, what they ask, and what is stored when someone answers.

Member forms live under ``FormsIndexPage`` (问卷中心), a private root directly under Wagtail's
root and outside every Site, like 学习园地: nothing of them reaches content/ or the public
site. Public forms (群众心声) are ``FeedbackFormPage``s under an ``openness.SectionPage``.

What an answer leaves behind is split on purpose:

* ``Participation``: *who* answered a member form (for counting, one answer per member and
  lists of who has not answered). It holds no answer and no link to one.
* ``Response``: *what* was answered. For anonymous forms and public forms nothing on the row
  identifies a person: no user, no unit, a date instead of a time, and a random UUID primary
  key (sequential ids would let anyone line up Response and Participation rows by order).
* ``Draft``: a member's unfinished answers, deleted when they submit.
* ``AnswerFile``: an uploaded attachment, kept outside every served path and read only
  through the results view's permission check.
* ``PublicSubmitCounter``: the public endpoint's rate limit, keyed by a salted, daily-rotated
  hash; the client's address itself is never stored.

Nothing here stores an IP address.
"""

from __future__ import annotations

import hashlib
import uuid

from django import forms
from django.db import models
from django.http import Http404
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.forms.forms import WagtailAdminFormPageForm
from wagtail.contrib.forms.models import AbstractForm, AbstractFormField
from wagtail.contrib.forms.utils import get_field_clean_name
from wagtail.models import Page

from cms.accounts.models import OrganisationUnit, User
from cms.core.forms import PublicPageForm
from cms.core.models import validate_public_slug
from cms.study.models import AUDIENCE_STATUS_CHOICES


class FormKind(models.TextChoices):
    OPINION = "opinion", "意见征集"
    EVALUATION = "evaluation", "民主评议"
    SATISFACTION = "satisfaction", "满意度调查"
    MESSAGE = "message", "群众心声"


class FieldType(models.TextChoices):
    SINGLELINE = "singleline", "单行文本"
    MULTILINE = "multiline", "多行文本"
    RADIO = "radio", "单选"
    CHECKBOXES = "checkboxes", "多选"
    DROPDOWN = "dropdown", "下拉选择"
    RATING = "rating", "评分（1–5）"
    DATE = "date", "日期"
    NUMBER = "number", "数字"
    FILE = "file", "附件"
    SECTION = "section", "分节标题"
    PEER_REVIEW = "peer_review", "民主评议（本支部党员逐人评议）"


CHOICE_TYPES = {FieldType.RADIO, FieldType.CHECKBOXES, FieldType.DROPDOWN}
TEXT_TYPES = {FieldType.SINGLELINE, FieldType.MULTILINE}
#: Field types a public form may not have: files need a person to answer for them, and the
#: peer review lists a branch's members.
MEMBER_ONLY_TYPES = {FieldType.FILE, FieldType.PEER_REVIEW}
#: The grades of 民主评议党员, best first.
PEER_GRADES = ["优秀", "合格", "基本合格", "不合格"]


def split_choices(text: str) -> list[str]:
    """An editor's choices: one per line, or separated by commas (，or ,) on a single line.
    Blank and repeated entries are dropped, the order is kept."""
    text = (text or "").replace("\r\n", "\n")
    parts = text.split("\n") if "\n" in text else text.replace("，", ",").split(",")
    seen: dict[str, None] = {}
    for part in parts:
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


class FormsIndexPage(Page):
    """问卷中心: the one private root of all member forms."""

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["feedback.FeedbackFormPage"]
    max_count = 1

    class Meta:
        verbose_name = "问卷中心"
        verbose_name_plural = "问卷中心"


class FeedbackFormAdminForm(PublicPageForm, WagtailAdminFormPageForm):
    """The editor's form: the rules a form must meet before it can be saved, in Chinese."""

    audience_statuses = forms.MultipleChoiceField(
        label="面向身份",
        choices=AUDIENCE_STATUS_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不勾选表示面向所有身份（已转出人员除外）。公开问卷不适用。",
    )

    def _is_public(self) -> bool:
        from cms.openness.models import SectionPage

        parent = getattr(self, "parent_page", None)
        if parent is None and self.instance.pk:
            parent = self.instance.get_parent()
        return parent is not None and isinstance(parent.specific, SectionPage)

    def clean(self):
        cleaned = super().clean()
        public = self._is_public()
        if cleaned.get("anonymous") and cleaned.get("allow_change"):
            self.add_error("allow_change", "匿名问卷不能允许修改答案：修改答案需要记住是谁填写的。")
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", "截止时间须晚于开始时间。")
        if public:
            if cleaned.get("audience_statuses"):
                self.add_error("audience_statuses", "公开问卷面向所有人，不能设置面向身份。")
            if cleaned.get("audience_units"):
                self.add_error("audience_units", "公开问卷面向所有人，不能设置面向组织。")
            if cleaned.get("allow_change"):
                self.add_error("allow_change", "公开问卷的答卷人无需登录，不能允许修改答案。")
        formset = self.formsets.get("form_fields")
        if formset is not None:
            self._check_questions(formset, public)
        return cleaned

    def _check_questions(self, formset, public: bool) -> None:
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            kind, label = data.get("field_type"), data.get("label") or "该问题"
            if kind in CHOICE_TYPES and not split_choices(data.get("choices", "")):
                form.add_error("choices", f"请为“{label}”填写选项（每行一个）。")
            if public and kind in MEMBER_ONLY_TYPES:
                form.add_error("field_type", f"公开问卷不能使用“{FieldType(kind).label}”题型。")
            low, high = data.get("min_value"), data.get("max_value")
            if low is not None and high is not None and high < low:
                form.add_error("max_value", "最大值不能小于最小值。")
            if (low is not None or high is not None) and kind != FieldType.NUMBER:
                form.add_error("min_value", "最小值和最大值只适用于“数字”题型。")


class FeedbackFormPage(AbstractForm):
    """One form. Under 问卷中心 it is a member form for an audience; under a section of the
    public site it is a public form anyone may answer. Answered only through the API
    (``cms.feedback.api``), never through Wagtail's own form view."""

    intro = models.TextField("说明", blank=True, max_length=2000, help_text="显示在问题之前的说明（纯文本）。")
    kind = models.CharField("类型", max_length=16, choices=FormKind.choices, default=FormKind.OPINION)
    opens_at = models.DateTimeField("开始时间", null=True, blank=True, help_text="留空表示发布后即可填写。")
    closes_at = models.DateTimeField("截止时间", null=True, blank=True, help_text="留空表示不设截止时间。")
    allow_change = models.BooleanField(
        "允许修改答案", default=False, help_text="截止前可修改已提交的答案（匿名问卷不适用）。"
    )
    anonymous = models.BooleanField(
        "匿名",
        default=False,
        help_text="只记录谁已填写（用于统计），答案中不保存任何能识别答卷人的信息（账号、组织、提交时刻）。",
    )
    audience_statuses = models.JSONField("面向身份", default=list, blank=True)
    audience_units = ParentalManyToManyField(
        OrganisationUnit,
        verbose_name="面向组织",
        blank=True,
        related_name="+",
        help_text="不选择表示面向全体；选择党委或党总支时包括其下所有支部。公开问卷不适用。",
    )
    thank_you_text = models.TextField("提交后的感谢语", blank=True, max_length=1000)

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("kind"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldPanel("allow_change"),
                FieldPanel("anonymous"),
            ],
            heading="填写规则",
        ),
        MultiFieldPanel([FieldPanel("audience_statuses"), FieldPanel("audience_units")], heading="填写对象"),
        InlinePanel("form_fields", label="问题"),
        FieldPanel("thank_you_text"),
    ]
    base_form_class = FeedbackFormAdminForm
    parent_page_types = ["feedback.FormsIndexPage", "openness.SectionPage"]
    subpage_types: list[str] = []
    # Wagtail's form view and its preview would render and accept the form outside the API's
    # rules (audience, anonymity, abuse control); editors see the questions in the editor.
    preview_modes: list = []

    class Meta:
        verbose_name = "问卷"
        verbose_name_plural = "问卷"

    def clean(self):
        super().clean()
        # A public form gets a URL on the static site (member forms never do; the rule is
        # applied to both so that moving a form cannot bring a reserved slug onto the site).
        validate_public_slug(self)

    def is_public_form(self) -> bool:
        from cms.openness.models import SectionPage

        parent = self.get_parent() if self.path else None
        return parent is not None and isinstance(parent.specific, SectionPage)

    def serve(self, request, *args, **kwargs):
        raise Http404


class FormField(AbstractFormField):
    page = ParentalKey(FeedbackFormPage, on_delete=models.CASCADE, related_name="form_fields")
    field_type = models.CharField("题型", max_length=16, choices=FieldType.choices)
    min_value = models.DecimalField(
        "最小值", max_digits=12, decimal_places=2, null=True, blank=True, help_text="仅“数字”题型。"
    )
    max_value = models.DecimalField(
        "最大值", max_digits=12, decimal_places=2, null=True, blank=True, help_text="仅“数字”题型。"
    )

    panels = [
        FieldPanel("label"),
        FieldPanel("help_text"),
        FieldPanel("required"),
        FieldPanel("field_type", classname="formbuilder-type"),
        FieldPanel("choices", classname="formbuilder-choices"),
        FieldRowPanel([FieldPanel("min_value"), FieldPanel("max_value")]),
    ]

    class Meta(AbstractFormField.Meta):
        verbose_name = "问题"
        verbose_name_plural = "问题"

    def get_field_clean_name(self):
        # A label of only punctuation or emoji has no ASCII name; a stable one from its text
        # keeps Wagtail's duplicate check working and the answer key non-empty.
        return get_field_clean_name(self.label) or "q_" + hashlib.sha1(self.label.encode()).hexdigest()[:8]

    @property
    def choice_list(self) -> list[str]:
        return split_choices(self.choices)


class Participation(models.Model):
    """That a member answered a member form (never what they answered)."""

    form = models.ForeignKey(
        FeedbackFormPage, verbose_name="问卷", on_delete=models.CASCADE, related_name="participations"
    )
    user = models.ForeignKey(User, verbose_name="答卷人", on_delete=models.CASCADE, related_name="+")
    submitted_on = models.DateField("提交日期")
    # The unit when they answered: the response rate per unit stays what it was when people move.
    unit = models.ForeignKey(
        OrganisationUnit, verbose_name="所在组织", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The last submit attempt's key: the same key again returns the same result (a retry).
    submission_key = models.UUIDField("提交标识", null=True, blank=True)

    class Meta:
        verbose_name = "填写记录"
        verbose_name_plural = "填写记录"
        constraints = [models.UniqueConstraint(fields=["form", "user"], name="one_participation_per_form_and_user")]

    def __str__(self):
        return f"{self.user.display_name} · {self.form.title}"


class Response(models.Model):
    """The answers of one submission. ``user``, ``submitted_at`` and ``updated_at`` are set
    only for named member forms; anonymous and public responses carry a date and nothing
    else about the person or the moment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    form = models.ForeignKey(FeedbackFormPage, verbose_name="问卷", on_delete=models.CASCADE, related_name="responses")
    answers = models.JSONField("答案", default=dict)
    submitted_on = models.DateField("提交日期")
    user = models.ForeignKey(
        User, verbose_name="答卷人", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    updated_at = models.DateTimeField("修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "答卷"
        verbose_name_plural = "答卷"
        constraints = [
            models.UniqueConstraint(
                fields=["form", "user"],
                condition=models.Q(user__isnull=False),
                name="one_named_response_per_form_and_user",
            )
        ]
        permissions = [("view_form_results", "可以查看问卷结果")]

    def __str__(self):
        return f"{self.form.title} · {self.submitted_on}"


class Draft(models.Model):
    """A member's unfinished answers; deleted when they submit."""

    form = models.ForeignKey(FeedbackFormPage, verbose_name="问卷", on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(User, verbose_name="填写人", on_delete=models.CASCADE, related_name="+")
    answers = models.JSONField("答案", default=dict)
    saved_at = models.DateTimeField("保存时间")

    class Meta:
        verbose_name = "草稿"
        verbose_name_plural = "草稿"
        constraints = [models.UniqueConstraint(fields=["form", "user"], name="one_draft_per_form_and_user")]


def answer_file_path(instance: AnswerFile, filename: str) -> str:
    # Under MEDIA_ROOT (so cms/media/sendfile.py may hand it to nginx's internal location) but
    # in a folder no route serves; the stored name is random, the original name is in the row.
    suffix = "".join(c for c in filename.rsplit(".", 1)[-1].lower() if c.isalnum())[:8] if "." in filename else ""
    return f"feedback-private/{instance.form_id}/{uuid.uuid4().hex}{'.' + suffix if suffix else ''}"


class AnswerFile(models.Model):
    """An attachment uploaded for a file question. Its id is the token the answer carries.
    ``user`` is the uploader until the file is submitted with an anonymous form's answers,
    when it is cleared."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    form = models.ForeignKey(FeedbackFormPage, verbose_name="问卷", on_delete=models.CASCADE, related_name="files")
    user = models.ForeignKey(
        User, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField("文件", upload_to=answer_file_path, max_length=255)
    name = models.CharField("文件名", max_length=255)
    size = models.PositiveBigIntegerField("大小（字节）")
    uploaded_on = models.DateField("上传日期")
    submitted = models.BooleanField("已随答卷提交", default=False)

    class Meta:
        verbose_name = "答卷附件"
        verbose_name_plural = "答卷附件"

    def __str__(self):
        return self.name


class PublicSubmitCounter(models.Model):
    """Submissions to a public form in the current window from one client, known only by
    HMAC(daily salt, address, form id): the address cannot be recovered, and tomorrow's salt
    makes today's hashes meaningless. Rows are deleted once expired."""

    key_hash = models.CharField(max_length=64, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "公开问卷提交计数"
        verbose_name_plural = "公开问卷提交计数"
