"""Which pages reach the public site: the one rule the exporter, the link checker and the
admin's page lists share (links.py needs it without the exporter, which needs links.py)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from wagtail.models import Page, Site

from cms.core.models import ArticlePage
from cms.feedback.models import FeedbackFormPage
from cms.openness.models import HomePage, SectionPage

# Page types written to content/. A FeedbackFormPage is exported only where it is public: under
# the site (member forms live under 问卷中心, outside every Site, like 学习园地).
EXPORTED_TYPES = (HomePage, SectionPage, ArticlePage, FeedbackFormPage)


def default_site() -> Site:
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        raise RuntimeError("没有默认站点：请先运行 manage.py load_demo 或在后台设置站点。")
    return site


def exportable_queryset(site: Site | None = None):
    """Live, public, unexpired pages of the public site (the root page included)."""
    site = site or default_site()
    now = timezone.now()
    return (
        Page.objects.descendant_of(site.root_page, inclusive=True)
        .live()
        .public()
        .filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now))
        .filter(Q(go_live_at__isnull=True) | Q(go_live_at__lte=now))
        .type(*EXPORTED_TYPES)
    )


def is_exportable(page: Page) -> bool:
    return exportable_queryset().filter(pk=page.pk).exists()
