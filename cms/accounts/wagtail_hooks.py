from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import OrganisationUnit
from .views_admin import PeopleImportView


class OrganisationUnitViewSet(SnippetViewSet):
    model = OrganisationUnit
    icon = "group"
    menu_label = "党组织"
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["name", "kind", "parent", "sort_order"]
    list_filter = ["kind"]
    search_fields = ["name"]


register_snippet(OrganisationUnitViewSet)


@hooks.register("register_admin_urls")
def register_people_import_urls():
    return [path("accounts/import-people/", PeopleImportView.as_view(), name="accounts_people_import")]


class PeopleImportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("accounts.import_people")


@hooks.register("register_admin_menu_item")
def register_people_import_menu_item():
    return PeopleImportMenuItem("批量导入人员", reverse("accounts_people_import"), name="people-import",
                                icon_name="upload", order=301)
