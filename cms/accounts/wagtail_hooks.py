from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import OrganisationUnit


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
