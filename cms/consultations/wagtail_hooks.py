from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from . import selectors, views_admin


@hooks.register("register_admin_urls")
def register_consultation_urls():
    return [
        path("consultations/", views_admin.ConsultationListView.as_view(), name="consultations_admin"),
        path(
            "consultations/<int:pk>/", views_admin.ConsultationDetailView.as_view(), name="consultations_admin_detail"
        ),
        path(
            "consultations/<int:pk>/close/",
            views_admin.ConsultationCloseView.as_view(),
            name="consultations_admin_close",
        ),
        path("consultations/<int:pk>/faq/", views_admin.ConsultationFaqView.as_view(), name="consultations_admin_faq"),
        path(
            "consultations/<int:pk>/messages/<int:message_id>/attachment/",
            views_admin.ConsultationAttachmentView.as_view(),
            name="consultations_admin_attachment",
        ),
    ]


class ConsultationMenuItem(MenuItem):
    def is_shown(self, request):
        return not selectors.answer_scope(request.user).is_empty


@hooks.register("register_admin_menu_item")
def register_consultation_menu_item():
    return ConsultationMenuItem(
        "咨询与建议", reverse("consultations_admin"), name="consultations", icon_name="help", order=305
    )


class ConsultationPanel(Component):
    """Dashboard: what waits for this person's answer, and how much of it is overdue."""

    name = "consultations"
    order = 60
    template_name = "consultations/admin/panel.html"

    def __init__(self, counts):
        self.counts = counts

    def get_context_data(self, parent_context=None):
        return {"counts": self.counts}


@hooks.register("construct_homepage_panels")
def add_consultation_panel(request, panels):
    counts = selectors.dashboard_counts(request.user)
    if counts is not None:
        panels.insert(0, ConsultationPanel(counts))
