import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import BodyBlock
from .forms import PublicPageForm
from .slugs import RESERVED_SLUGS


def today() -> datetime.date:
    return timezone.localdate()


def validate_public_slug(page: Page) -> None:
    if page.slug in RESERVED_SLUGS:
        raise ValidationError({"slug": f"“{page.slug}”是网站保留的地址，请换一个 slug。"})


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    """Site-wide values that appear on every public page (so a change rebuilds the site)."""

    org_name = models.CharField("组织名称", max_length=100, default="某某集团有限公司党委")
    icp_number = models.CharField(
        "ICP备案号",
        max_length=50,
        blank=True,
        help_text="例如 京ICP备12345678号-1；填写后页脚显示并链接到工业和信息化部备案查询网站。",
    )
    announcement_text = models.CharField(
        "权威发布内容",
        max_length=200,
        blank=True,
        help_text="填写后，公开网站每个页面顶部都会显示这条权威发布；清空即撤下。",
    )
    announcement_link = models.CharField(
        "权威发布链接",
        max_length=300,
        blank=True,
        help_text="站内路径（如 /news/some-article/）或完整网址，可留空。",
    )

    panels = [
        FieldPanel("org_name"),
        FieldPanel("icp_number"),
        MultiFieldPanel([FieldPanel("announcement_text"), FieldPanel("announcement_link")], heading="权威发布"),
    ]

    class Meta:
        verbose_name = "站点设置"
        verbose_name_plural = "站点设置"

    def clean(self):
        link = self.announcement_link.strip()
        if link and not (link.startswith("/") or link.startswith(("http://", "https://"))):
            raise ValidationError(
                {"announcement_link": "链接须以 / 开头的站内路径，或以 http:// 、https:// 开头的网址。"}
            )
        if link and not self.announcement_text.strip():
            raise ValidationError({"announcement_text": "填写了链接时，请同时填写权威发布内容。"})


class ArticlePage(Page):
    """Fields every public article shares: date, issuing unit, summary and the shared body."""

    date = models.DateField("发布日期", default=today)
    issuing_unit = models.ForeignKey(
        "accounts.OrganisationUnit",
        verbose_name="发布单位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    summary = models.TextField("摘要", blank=True, max_length=500)
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="封面图",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="转发到微信、微博和推送到工作群时显示的图片；不选时用正文中的第一张图片。"
        "只有公开图片库中的图片会出现在公开网站上。",
    )
    body = StreamField(BodyBlock(), verbose_name="正文", blank=True)

    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
    ]

    parent_page_types = ["openness.SectionPage"]
    subpage_types: list[str] = []
    base_form_class = PublicPageForm

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        validate_public_slug(self)

    def going_public(self) -> bool:
        """Whether ``clean`` should hold this save to the rules a page must meet before it is
        public. A page being added in the editor is ``live`` (the model's default) until the
        view decides, even when only a draft is saved, so only a page already in the tree
        counts: on the add screen the publishing buttons are refused by the form
        (``PublicPageForm.publishing_requested``), and publishing a revision later saves the
        stored page, which runs ``clean`` again."""
        return self.live and self.pk is not None

    # What an article type adds to its exported body (cms.publishing.exporter.render_page).

    def share_image_candidates(self):
        """The pictures that may stand for the page where it is shared (Open Graph, 微博,
        robot news cards), best first: the cover, then the body's images in order. The
        exporter takes the first that may be public (``exporter.share_image_path``)."""
        if self.cover_image_id:
            yield self.cover_image
        for block in self.body:
            if block.block_type == "image":
                yield block.value["image"]
            elif block.block_type == "gallery":
                yield from (item["image"] for item in block.value["images"])

    def export_preamble(self) -> str:
        """Plain text put before the body (the exporter makes it literal Markdown)."""
        return ""

    def export_appendix(self) -> str:
        """Markdown put after the body. Built only with the escaping helpers
        (``block_output.table_markdown``, ``html_safety.markdown_text``): nothing a person
        typed may become markup."""
        return ""
