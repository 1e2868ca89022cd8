from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import OpennessCategory


class OpennessCategoryViewSet(SnippetViewSet):
    model = OpennessCategory
    icon = "list-ul"
    menu_label = "党务公开分类"
    list_display = ["name", "sort_order"]


register_snippet(OpennessCategoryViewSet)
