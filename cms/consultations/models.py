"""Consultations (咨询) and suggestions (意见建议) a member addresses to their branch or to the
committee office, their message threads, and the public FAQ page (常见问题) an editor may
write from an answered item whose asker agreed.

Rules live in ``services`` (writes) and ``selectors`` (who reads what); the models hold data.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.models import Page
from wagtail.search import index

from cms.core.models import ArticlePage
from cms.openness.models import LINK_CHECK_PANEL

from .forms import FaqPageForm


class Kind(models.TextChoices):
    QUESTION = "question", "咨询"
    SUGGESTION = "suggestion", "意见建议"


class Addressee(models.TextChoices):
    BRANCH = "branch", "所在党支部"
    COMMITTEE = "committee", "党委办公室"


class State(models.TextChoices):
    PENDING = "pending", "待回复"
    ANSWERED = "answered", "已回复"
    CLOSED = "closed", "已关闭"


class Consultation(models.Model):
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.QUESTION)
    subject = models.CharField("主题", max_length=100)
    addressee = models.CharField("提交给", max_length=20, choices=Addressee.choices)
    # The unit that answers: the asker's branch, or the committee unit for 党委办公室 (a copy
    # taken when asking, so a later transfer of the asker does not move the item).
    unit = models.ForeignKey(
        "accounts.OrganisationUnit", verbose_name="答复组织", on_delete=models.PROTECT, related_name="consultations"
    )
    # SET_NULL: deleting an account must not erase what officials answered; the thread stays.
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提问人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consultations",
    )
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.PENDING, db_index=True)
    public_consent = models.BooleanField(
        "同意公开", default=False, help_text="同意在答复后将问题（经编辑改写、去除个人信息）公开到“常见问题”。"
    )
    created_at = models.DateTimeField("提交时间", db_index=True)
    first_answered_at = models.DateTimeField("首次答复时间", null=True, blank=True)
    last_answered_at = models.DateTimeField("最近答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="关闭人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The last question or follow-up nobody has answered yet (None while answered or closed)
    # and the working-day deadline counted from it (services.due_after): stored, so lists and
    # the dashboard filter "已超期" in the database.
    awaiting_since = models.DateTimeField("待回复起始时间", null=True, blank=True)
    due_at = models.DateTimeField("答复期限", null=True, blank=True, db_index=True)
    # When the asker last opened the item in the member area (the 我的咨询 badge).
    last_seen_at = models.DateTimeField("提问人最近查看时间", null=True, blank=True)

    class Meta:
        verbose_name = "咨询与建议"
        verbose_name_plural = "咨询与建议"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["unit", "state"]), models.Index(fields=["asker", "-created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.subject}"


def attachment_path(message: Message, filename: str) -> str:
    """A random folder per file under MEDIA_ROOT/consultations/: nothing serves that folder
    (only cms/media's image and document routes exist), the name is never guessable, and the
    file leaves only through the permission-checked views (cms.media.sendfile)."""
    suffix = PurePath(filename).suffix.lower()
    return f"consultations/{uuid.uuid4().hex}/attachment{suffix}"


class MessageKind(models.TextChoices):
    QUESTION = "question", "提问"
    ANSWER = "answer", "答复"
    FOLLOW_UP = "follow_up", "追问"


class Message(models.Model):
    Kind = MessageKind

    consultation = models.ForeignKey(
        Consultation, verbose_name="咨询", on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField("内容")
    created_at = models.DateTimeField("时间")
    attachment = models.FileField("附件", upload_to=attachment_path, blank=True, max_length=200)
    attachment_name = models.CharField("附件名", max_length=150, blank=True)
    attachment_size = models.PositiveBigIntegerField("附件大小", default=0)

    class Meta:
        verbose_name = "咨询消息"
        verbose_name_plural = "咨询消息"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.created_at:%Y-%m-%d %H:%M}）"


# ------------------------------------------------------------------------- 常见问题 (FAQ)


class FaqPageTag(TaggedItemBase):
    content_object = ParentalKey("consultations.FaqPage", on_delete=models.CASCADE, related_name="tagged_items")


class FaqPage(ArticlePage):
    """A public FAQ entry (常见问题), exported like any article (type ``faq``): the title and
    ``question`` are the public wording of the question, ``body`` the answer.

    A page made from a consultation starts as a draft pre-filled with the original question
    and answer, which may name people: it cannot be submitted for approval (``FaqPageForm``)
    nor published (``clean``) until the editor ticks 已去除个人信息, and publishing is refused
    while the asker's name, account, branch or an attachment's name is still in it. The link
    to the consultation is kept in the database only; the exporter never writes it.
    """

    type_label = "常见问题"
    question = models.TextField("问题", max_length=2000, help_text="公开的问题表述：请改写，去除姓名、单位等个人信息。")
    personal_data_removed = models.BooleanField(
        "已去除个人信息",
        default=False,
        help_text="确认标题、问题和答复中已没有提问人的姓名、工号、所在支部、联系方式等个人信息，方可提交审核或发布。",
    )
    source_consultation = models.ForeignKey(
        Consultation,
        verbose_name="来源咨询",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="faq_pages",
        editable=False,
    )
    tags = ClusterTaggableManager(through=FaqPageTag, blank=True, verbose_name="标签")

    content_panels = (
        [LINK_CHECK_PANEL]
        + Page.content_panels
        + [
            FieldPanel("question"),
            FieldPanel("body", heading="答复"),
            MultiFieldPanel([FieldPanel("date"), FieldPanel("issuing_unit"), FieldPanel("tags")], heading="发布信息"),
            FieldPanel("summary"),
            FieldPanel("cover_image"),
            FieldPanel("personal_data_removed"),
        ]
    )
    search_fields = ArticlePage.search_fields + [index.SearchField("question")]
    base_form_class = FaqPageForm
    template = "openness/article_page.html"

    class Meta:
        verbose_name = "常见问题"
        verbose_name_plural = "常见问题"

    def export_preamble(self) -> str:
        """Plain text the exporter puts before the body (the public question)."""
        return self.question

    def clean(self):
        super().clean()
        if not self.going_public():
            return
        if not self.personal_data_removed:
            raise ValidationError({"personal_data_removed": "请先去除个人信息并勾选“已去除个人信息”，再发布。"})
        from .services import personal_details_left

        left = personal_details_left(self)
        if left:
            raise ValidationError({"question": f"页面中仍含有提问人的个人信息（{'、'.join(left)}），请删除后再发布。"})
