"""Admin views of feedback answers (问卷结果): per form response rates per unit, per-question
summaries, individual named answers, the Excel export, and attachments. Who reads what is
decided in ``selectors`` and ``results``; every view starts from ``scope_of(viewer)``."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.utils.sendfile import sendfile

from cms.accounts.selectors import scope_of
from cms.audit.models import Action
from cms.audit.services import AuditUnavailable, record
from cms.core.spreadsheets import xlsx_response

from . import results, results_export, selectors
from .models import AnswerFile, FieldType


def answer_file(request, token):
    stored = AnswerFile.objects.select_related("form", "user").filter(pk=token).first()
    # Missing and not yours look the same: a token guessed or leaked proves nothing.
    if stored is None or not selectors.can_read_file(request.user, stored, scope_of(request.user)):
        raise Http404("文件不存在。")
    response = sendfile(request, stored.file.path, attachment=True, attachment_filename=stored.name)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(stored.name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class _ResultsAccess:
    def dispatch(self, request, *args, **kwargs):
        self.scope = scope_of(request.user)
        if not selectors.can_view_results(request.user, self.scope):
            raise PermissionDenied  # Wagtail answers with its "no permission" redirect
        return super().dispatch(request, *args, **kwargs)

    def form_or_404(self):
        form = results.visible_result_form(self.scope, self.kwargs["form_id"])
        if form is None:
            raise Http404("没有这份问卷，或它不面向您负责的组织。")
        return form


class ResultsOverviewView(_ResultsAccess, WagtailAdminTemplateMixin, TemplateView):
    template_name = "feedback/admin/results_overview.html"
    page_title = "问卷结果"
    header_icon = "form"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        rows = []
        tree, people = results.UnitTree(), results.people_in(self.scope)
        for form in results.result_forms(self.scope):
            units = results.unit_rates(form, self.scope, tree, people)
            total = results.UnitRate(None, "", sum(u.audience for u in units), sum(u.answered for u in units))
            rows.append(
                {
                    "form": form,
                    "public": form.is_public_form(),
                    "rate": total,
                    "state": selectors.STATE_LABELS[selectors.time_state(form)] if form.live else "已撤下",
                }
            )
        return super().get_context_data(rows=rows, scope=self.scope.label, **kwargs)


class FormResultsView(_ResultsAccess, WagtailAdminTemplateMixin, TemplateView):
    template_name = "feedback/admin/form_results.html"
    header_icon = "form"

    def get(self, request, *args, **kwargs):
        self.results = results.form_results(self.form_or_404(), self.scope)
        return super().get(request, *args, **kwargs)

    def get_page_title(self):
        return self.results.form.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("feedback_results"), "label": "问卷结果"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        found = self.results
        individual = []
        if found.shows_names:
            definition = [s for s in selectors.form_definition(found.form) if s["type"] != FieldType.SECTION]
            names = results.peer_names_of(definition, found.responses)
            for response in found.responses:
                individual.append(
                    {
                        "response": response,
                        "answers": [
                            {
                                "label": spec["label"],
                                "text": results.answer_text(spec, response.answers.get(spec["name"]), names),
                                "file": response.answers.get(spec["name"]) if spec["type"] == FieldType.FILE else None,
                            }
                            for spec in definition
                        ],
                    }
                )
        return super().get_context_data(results=found, individual=individual, scope=self.scope.label, **kwargs)


class FormResultsExportView(_ResultsAccess, View):
    def get(self, request, form_id):
        found = results.form_results(self.form_or_404(), self.scope)
        if not found.can_read_answers:
            raise Http404("您负责的组织不能查看这份问卷的答案。")
        try:
            # Answers leave only with a trace: no audit entry, no file.
            record(
                Action.FORM_RESULTS_EXPORTED,
                obj=found.form,
                object_type="feedback_form",
                object_repr=found.form.title,
                details={"rows": len(found.responses), "anonymous": found.form.anonymous, "scope": self.scope.label},
                strict=True,
            )
        except AuditUnavailable:
            messages.error(request, "审计日志暂时无法写入，为保证答卷的导出都有记录，本次导出已取消。请稍后重试。")
            return redirect(reverse("feedback_form_results", args=[form_id]))
        return xlsx_response(
            results_export.workbook_bytes(found),
            results_export.file_name(found),
            ascii_fallback=f"form-results-{form_id}.xlsx",
        )
