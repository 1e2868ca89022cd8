from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from . import selectors, views_admin


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


@hooks.register("register_admin_urls")
def register_build_urls():
    return [path("site-builds/", views_admin.build_list, name="publishing_build_list")]


@hooks.register("register_admin_menu_item")
def register_build_menu_item():
    return MenuItem("网站发布记录", reverse("publishing_build_list"), icon_name="history", order=900)
