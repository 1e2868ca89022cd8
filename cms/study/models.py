"""Private study material (courses and lessons) and each person's progress.

Study pages live under ``StudyIndexPage``, a sibling of the public home page directly under
Wagtail's root and outside every Site: the exporter only reads the default site's tree and
only public page types, so lesson text never reaches content/ or the public site. Members
read it through the member API (``cms.study.api``) only.
"""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.html import strip_tags
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.accounts.models import MemberStatus, User
from cms.core.blocks import BodyBlock

#: Reading speed used to estimate a lesson's minimum study time when the editor sets none.
CHARACTERS_PER_SECOND = 10  # ≈ 600 Chinese characters a minute: a quick but real read
MIN_ESTIMATED_SECONDS = 10
MAX_ESTIMATED_SECONDS = 30 * 60

#: Statuses a course can be aimed at (已转出 people are no longer studying here).
AUDIENCE_STATUS_CHOICES = [(s.value, s.label) for s in MemberStatus if s != MemberStatus.TRANSFERRED_OUT]


class StudyIndexPage(Page):
    """学习园地: the one private root of all courses."""

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["study.CoursePage"]
    max_count = 1

    class Meta:
        verbose_name = "学习园地"
        verbose_name_plural = "学习园地"


class CourseForm(WagtailAdminPageForm):
    # A JSON list edited as check boxes; an empty list means every status.
    audience_statuses = forms.MultipleChoiceField(
        label="面向身份",
        choices=AUDIENCE_STATUS_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不勾选表示面向所有身份（已转出人员除外）。",
    )


class CoursePage(Page):
    """A course: an ordered set of lessons (its child pages) for an audience."""

    intro = models.TextField("课程简介", blank=True, max_length=1000)
    required = models.BooleanField("必修课程", default=False)
    deadline = models.DateField("完成期限", null=True, blank=True, help_text="必修课程须在此日期（含）之前学完。")
    audience_statuses = models.JSONField("面向身份", default=list, blank=True)
    audience_units = ParentalManyToManyField(
        "accounts.OrganisationUnit",
        verbose_name="面向组织",
        blank=True,
        related_name="+",
        help_text="不选择表示面向全体；选择党委或党总支时包括其下所有支部。",
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        MultiFieldPanel([FieldPanel("required"), FieldPanel("deadline")], heading="学习要求"),
        MultiFieldPanel([FieldPanel("audience_statuses"), FieldPanel("audience_units")], heading="学习对象"),
    ]
    base_form_class = CourseForm
    parent_page_types = ["study.StudyIndexPage"]
    subpage_types = ["study.LessonPage"]

    class Meta:
        verbose_name = "课程"
        verbose_name_plural = "课程"


class LessonPage(Page):
    """One lesson: the same body as public pages (text, images, video, audio, attachments)."""

    summary = models.TextField("摘要", blank=True, max_length=500)
    body = StreamField(BodyBlock(), verbose_name="正文", blank=True)
    min_study_minutes = models.PositiveSmallIntegerField(
        "最少学习时长（分钟）",
        null=True,
        blank=True,
        help_text="学员学满该时长后才能标记为“已学完”。留空则按正文长度估算（每分钟约 600 字）。",
    )

    # Worked out from the two fields above whenever they are saved (publishing saves the live
    # row), so readers need neither the body nor any parsing: every heartbeat reads it.
    required_seconds = models.PositiveIntegerField("最少学习时长（秒）", default=MIN_ESTIMATED_SECONDS, editable=False)

    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]
    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("min_study_minutes"),
    ]
    parent_page_types = ["study.CoursePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "课时"
        verbose_name_plural = "课时"

    def save(self, *args, **kwargs):
        self.required_seconds = required_seconds_for(self.min_study_minutes, self.body.raw_data)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"body", "min_study_minutes"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "required_seconds"}
        return super().save(*args, **kwargs)


def lesson_text_length(raw_body) -> int:
    """Characters of running text (paragraphs, headings, quotes) in a lesson body's stored
    JSON: no rendering, so no link look-ups or image queries."""
    parts = []
    for block in raw_body or ():
        value = block.get("value")
        if block.get("type") in {"paragraph", "heading"} and isinstance(value, str):
            parts.append(strip_tags(value))
        elif block.get("type") == "quote" and isinstance(value, dict):
            parts.append(f"{value.get('text') or ''}{value.get('source') or ''}")
    return len("".join("".join(parts).split()))


def required_seconds_for(min_study_minutes: int | None, raw_body) -> int:
    """How long a person must have studied a lesson before it can count as completed: the
    editor's minimum, else an estimate from the length of its text."""
    if min_study_minutes is not None:
        return min_study_minutes * 60
    estimate = lesson_text_length(raw_body) // CHARACTERS_PER_SECOND
    return max(MIN_ESTIMATED_SECONDS, min(MAX_ESTIMATED_SECONDS, estimate))


class LessonProgress(models.Model):
    """What one person has done with one lesson. Only ``services`` write it."""

    user = models.ForeignKey(User, verbose_name="学员", on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey(LessonPage, verbose_name="课时", on_delete=models.CASCADE, related_name="progress")
    opened_at = models.DateTimeField("首次打开")
    last_active_at = models.DateTimeField("最近学习")
    seconds_spent = models.PositiveIntegerField("学习时长（秒）", default=0)
    # Up to when study time has been credited (services.record_study_time); may run a few
    # seconds ahead of the clock. Empty on rows from before it existed: last_active_at then.
    credited_until = models.DateTimeField("计时截至", null=True, blank=True, editable=False)
    completed_at = models.DateTimeField("学完时间", null=True, blank=True)

    class Meta:
        verbose_name = "学习记录"
        verbose_name_plural = "学习记录"
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="one_progress_per_person_and_lesson")]
        permissions = [("view_branch_progress", "可以查看本支部学习进度")]

    def __str__(self):
        return f"{self.user.display_name} · {self.lesson.title}"

    @property
    def required_seconds(self) -> int:
        """The lesson's minimum study time. The heartbeat's statement returns it with the row
        (``services.record_study_time``), so its answer loads no lesson."""
        try:
            return self._required_seconds
        except AttributeError:
            return self.lesson.required_seconds

    @required_seconds.setter
    def required_seconds(self, value: int) -> None:
        self._required_seconds = value
