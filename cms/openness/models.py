"""Public page types: home, sections (栏目) and the three kinds of article."""

from django.db import models
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.models import Page
from wagtail.search import index

from cms.core.forms import PublicPageForm
from cms.core.models import ArticlePage, validate_public_slug
from cms.core.panels import LinkCheckPanel

ARTICLE_TYPES = ["openness.NewsPage", "openness.OpennessPage", "openness.TheoryPage"]


class OpennessCategory(models.Model):
    """党务公开 categories; editable by administrators as a snippet."""

    name = models.CharField("名称", max_length=50, unique=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "党务公开分类"
        verbose_name_plural = "党务公开分类"
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class HomePage(Page):
    intro = models.TextField("首页导语", blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["openness.SectionPage"]
    max_count = 1
    template = "openness/home_page.html"

    class Meta:
        verbose_name = "首页"
        verbose_name_plural = "首页"


class SectionPage(Page):
    """A section (栏目). A section owned by an organisation unit is that branch's own area:
    `manage.py setup_roles` scopes that branch's editors to it."""

    intro = models.TextField("栏目介绍", blank=True)
    organisation = models.ForeignKey(
        "accounts.OrganisationUnit",
        verbose_name="所属组织",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sections",
        help_text="设置后，该组织的编辑只能在本栏目内撰写和修改内容。",
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("organisation")]
    base_form_class = PublicPageForm
    parent_page_types = ["openness.HomePage", "openness.SectionPage"]
    # A public form (群众心声, cms/feedback) sits in a section like an article; 常见问题 entries
    # (cms/consultations) and 竞赛成绩公布 (cms/assessment) are articles of their own type.
    subpage_types = [
        "openness.SectionPage",
        *ARTICLE_TYPES,
        "feedback.FeedbackFormPage",
        "consultations.FaqPage",
        "assessment.ContestResultPage",
    ]
    template = "openness/section_page.html"

    class Meta:
        verbose_name = "栏目"
        verbose_name_plural = "栏目"

    def clean(self):
        super().clean()
        validate_public_slug(self)


# First in every article's editor; shown only when a link will not work on the site.
LINK_CHECK_PANEL = LinkCheckPanel()

ARTICLE_META_PANEL = MultiFieldPanel(
    [FieldPanel("date"), FieldPanel("issuing_unit"), FieldPanel("tags")],
    heading="发布信息",
)


class NewsPageTag(TaggedItemBase):
    content_object = ParentalKey("openness.NewsPage", on_delete=models.CASCADE, related_name="tagged_items")


class NewsPage(ArticlePage):
    type_label = "新闻动态"
    tags = ClusterTaggableManager(through=NewsPageTag, blank=True, verbose_name="标签")

    content_panels = (
        [LINK_CHECK_PANEL]
        + Page.content_panels
        + [
            ARTICLE_META_PANEL,
            FieldPanel("summary"),
            FieldPanel("cover_image"),
            FieldPanel("body"),
        ]
    )
    template = "openness/article_page.html"

    class Meta:
        verbose_name = "新闻动态"
        verbose_name_plural = "新闻动态"


class OpennessPageTag(TaggedItemBase):
    content_object = ParentalKey("openness.OpennessPage", on_delete=models.CASCADE, related_name="tagged_items")


class OpennessPage(ArticlePage):
    type_label = "党务公开"
    category = models.ForeignKey(
        OpennessCategory,
        verbose_name="公开类别",
        on_delete=models.PROTECT,
        related_name="pages",
    )
    tags = ClusterTaggableManager(through=OpennessPageTag, blank=True, verbose_name="标签")

    content_panels = (
        [LINK_CHECK_PANEL]
        + Page.content_panels
        + [
            FieldPanel("category"),
            ARTICLE_META_PANEL,
            FieldPanel("summary"),
            FieldPanel("cover_image"),
            FieldPanel("body"),
        ]
    )
    search_fields = ArticlePage.search_fields + [index.FilterField("category")]
    template = "openness/article_page.html"

    class Meta:
        verbose_name = "党务公开"
        verbose_name_plural = "党务公开"


class TheoryPageTag(TaggedItemBase):
    content_object = ParentalKey("openness.TheoryPage", on_delete=models.CASCADE, related_name="tagged_items")


class TheoryPage(ArticlePage):
    type_label = "理论学习"
    source = models.CharField("来源", max_length=200, blank=True, help_text="例如：《求是》2026年第22期")
    tags = ClusterTaggableManager(through=TheoryPageTag, blank=True, verbose_name="标签")

    content_panels = (
        [LINK_CHECK_PANEL]
        + Page.content_panels
        + [
            ARTICLE_META_PANEL,
            FieldPanel("source"),
            FieldPanel("summary"),
            FieldPanel("cover_image"),
            FieldPanel("body"),
        ]
    )
    template = "openness/article_page.html"

    class Meta:
        verbose_name = "理论学习"
        verbose_name_plural = "理论学习"
