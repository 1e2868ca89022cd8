from django.contrib import messages
from django.contrib.auth.models import Permission
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets import Button

from . import rollback, selectors, views_admin


class SiteBuildPanel(Component):
    """Dashboard panel: editors see at once whether their publish reached the site."""

    name = "site_build_status"
    order = 50
    template_name = "publishing/site_build_panel.html"

    def get_context_data(self, parent_context=None):
        return {"builds": selectors.recent_builds(5), "latest_failure": selectors.unresolved_failure()}


@hooks.register("construct_homepage_panels")
def add_site_build_panel(request, panels):
    panels.insert(0, SiteBuildPanel())


@hooks.register("construct_page_chooser_queryset")
def scope_page_chooser(pages, request):
    return selectors.choosable_pages(request.user, pages)


@hooks.register("construct_reports_menu")
def hide_page_types_report(request, menu_items):
    """Its view answers 管理员 only (views_admin.AdministratorPageTypesUsageView)."""
    from cms.accounts.selectors import is_administrator

    if not is_administrator(request.user):
        menu_items[:] = [item for item in menu_items if item.name != "page-types-usage"]


@hooks.register("register_admin_urls")
def register_build_urls():
    return [path("site-builds/", views_admin.build_list, name="publishing_build_list")]


@hooks.register("register_admin_menu_item")
def register_build_menu_item():
    return MenuItem("网站发布记录", reverse("publishing_build_list"), icon_name="history", order=900)


# ----------------------------------------------------------------------------- rollback and history


@hooks.register("register_admin_urls")
def register_rollback_urls():
    return [
        path("publishing/releases/", views_admin.ReleaseListView.as_view(), name="publishing_releases"),
        path(
            "publishing/releases/<str:name>/rollback/",
            views_admin.ReleaseRollbackView.as_view(),
            name="publishing_release_rollback",
        ),
        path("publishing/content/", views_admin.ContentHistoryView.as_view(), name="publishing_content_history"),
        path(
            "publishing/content/<str:sha>/rollback/",
            views_admin.ContentRollbackView.as_view(),
            name="publishing_content_rollback",
        ),
        path("publishing/media/", views_admin.MediaStoreView.as_view(), name="publishing_media_store"),
        path("publishing/media/<str:oid>/purge/", views_admin.MediaPurgeView.as_view(), name="publishing_media_purge"),
        path(
            "publishing/pages/<int:page_id>/history/",
            views_admin.PageHistoryView.as_view(),
            name="publishing_page_history",
        ),
    ]


class RollbackMenuItem(MenuItem):
    def is_shown(self, request):
        return rollback.can_rollback(request.user)


@hooks.register("register_admin_menu_item")
def register_rollback_menu_item():
    return RollbackMenuItem(
        "网站版本与回滚", reverse("publishing_releases"), name="site-releases", icon_name="rotate", order=901
    )


@hooks.register("register_permissions")
def register_rollback_permission():
    return Permission.objects.filter(content_type__app_label="publishing", codename="rollback_site")


def _page_history_button(page, user, priority):
    # Only pages that can be on the public site (not the tree root); cheap checks only, the
    # listing calls this for every row.
    if page.depth > 1 and page.live and page.permissions_for_user(user).can_edit():
        return Button(
            "发布历史",
            reverse("publishing_page_history", args=[page.pk]),
            icon_name="globe",
            priority=priority,
            attrs={"aria-label": f"“{page.get_admin_display_title()}”的发布历史"},
        )
    return None


@hooks.register("register_page_header_buttons")
def page_history_header_button(page, user, view_name, next_url=None):
    button = _page_history_button(page, user, priority=66)
    if button:
        yield button


@hooks.register("register_page_listing_more_buttons")
def page_history_listing_button(page, user, next_url=None):
    button = _page_history_button(page, user, priority=52)
    if button:
        yield button


@hooks.register("construct_help_menu")
def remove_outside_help_links(request, menu_items):
    # Wagtail's "what's new" and editor guide open guide.wagtail.org: English, and out of
    # reach on an intranet. The keyboard shortcuts stay.
    menu_items[:] = [
        item for item in menu_items if not item.name.startswith("whats-new-in-wagtail") and item.name != "editor-guide"
    ]


# ----------------------------------------------------------------------------- link check


def _warn_about_dead_links(request, page):
    from .exporter import link_problems

    revision = page.get_latest_revision_as_object() if page.pk else page
    problems = link_problems(revision)
    if problems:
        listed = "；".join(str(problem) for problem in problems[:5])
        more = f"；另有 {len(problems) - 5} 个" if len(problems) > 5 else ""
        messages.warning(
            request, f"本页有 {len(problems)} 个链接在公开网站上无法使用，发布后会显示为普通文字：{listed}{more}。"
        )


@hooks.register("after_create_page")
def warn_about_dead_links_after_create(request, page):
    _warn_about_dead_links(request, page)


@hooks.register("after_edit_page")
def warn_about_dead_links_after_edit(request, page):
    _warn_about_dead_links(request, page)
