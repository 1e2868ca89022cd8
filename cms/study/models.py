"""Private study material (courses and lessons) and each person's progress.

Study pages live under ``StudyIndexPage``, a sibling of the public home page directly under
Wagtail's root and outside every Site: the exporter only reads the default site's tree and
only public page types, so lesson text never reaches content/ or the public site. Members
read it through the member API (``cms.study.api``) only.
"""

from __future__ import annotations

from django import forms
from django.db import models
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.accounts.models import MemberStatus, User
from cms.core.blocks import BodyBlock

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
