from django.urls import path
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import KnowledgePoint, Question


class QuestionViewSet(SnippetViewSet):
    model = Question
    icon = "help"
    menu_label = "题库"
    list_display = ["__str__", "difficulty", "live", "updated_at"]
    list_filter = ["type", "difficulty", "live", "knowledge_points"]
    search_fields = ["stem"]


class KnowledgePointViewSet(SnippetViewSet):
    model = KnowledgePoint
    icon = "list-ul"
    menu_label = "知识点"
    list_display = ["__str__", "sort_order"]
    search_fields = ["name"]


class AssessmentGroup(SnippetViewSetGroup):
    items = (QuestionViewSet, KnowledgePointViewSet)
    menu_icon = "help"
    menu_label = "题库"
    menu_name = "question-bank"
    menu_order = 304


register_snippet(AssessmentGroup)
