"""学习进度: per-course completion for the units a 支部书记 (or 管理员) looks after, a drill-down
per course and its Excel export. Who sees whom is decided in ``selectors.progress_reports``."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from cms.accounts.selectors import scope_of, units_visible_to
from cms.core.spreadsheets import xlsx_response

from . import progress_export, selectors


class ProgressFilterForm(forms.Form):
    unit = forms.ModelChoiceField(label="组织", queryset=None, required=False, empty_label="全部组织")
    state = forms.ChoiceField(
        label="学习状态", choices=[("", "全部状态"), *selectors.REPORT_STATE_CHOICES], required=False
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        # Only units in the viewer's scope can be chosen: a unit id from elsewhere is invalid.
        self.fields["unit"].queryset = units_visible_to(scope)


class _ProgressAccess:
    def dispatch(self, request, *args, **kwargs):
        self.scope = scope_of(request.user)
        if not selectors.can_view_progress(request.user, self.scope):
            raise PermissionDenied  # Wagtail answers with its "no permission" redirect
        return super().dispatch(request, *args, **kwargs)


class ProgressOverviewView(_ProgressAccess, WagtailAdminTemplateMixin, TemplateView):
    template_name = "study/admin/progress_overview.html"
    page_title = "学习进度"
    header_icon = "tasks"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            reports=selectors.progress_reports(self.scope), scope=self.scope.label, **kwargs
        )


class _CourseReportMixin(_ProgressAccess):
    def filtered_report(self):
        """The course's report (404 when it does not reach the viewer's scope), the filter form
        and the rows that pass it."""
        report = selectors.course_report(self.scope, self.kwargs["course_id"])
        if report is None:
            raise Http404("没有这门课程，或它不面向您负责的组织。")
        form = ProgressFilterForm(self.request.GET or None, scope=self.scope)
        shown = report
        if form.is_valid():
            unit = form.cleaned_data["unit"]
            shown = report.filtered(
                state=form.cleaned_data["state"] or None,
                unit_ids=selectors.UnitTree().below([unit.pk]) if unit else None,
            )
        elif form.is_bound:
            shown = report.filtered(unit_ids=set())  # an invalid filter shows nobody, never more
        return report, form, shown


class CourseProgressView(_CourseReportMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "study/admin/course_progress.html"
    header_icon = "tasks"
    per_page = 100

    def get(self, request, *args, **kwargs):
        self.report, self.form, self.shown = self.filtered_report()
        return super().get(request, *args, **kwargs)

    def get_page_title(self):
        return self.report.course.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("study_progress"), "label": "学习进度"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        rows = Paginator(self.shown.rows, self.per_page).get_page(self.request.GET.get("p"))
        query = self.request.GET.copy()
        query.pop("p", None)
        return super().get_context_data(
            report=self.report,
            shown=self.shown,
            rows=rows,
            form=self.form,
            query=query.urlencode(),
            scope=self.scope.label,
            **kwargs,
        )


class CourseProgressExportView(_CourseReportMixin, View):
    def get(self, request, course_id):
        _, _, shown = self.filtered_report()
        from django.contrib import messages
        from django.shortcuts import redirect

        from cms.audit.models import Action
        from cms.audit.services import AuditUnavailable, record

        try:
            # Personal data leaves only with a trace: no audit entry, no file.
            record(
                Action.PROGRESS_EXPORTED,
                obj=shown.course,
                object_type="course",
                object_repr=shown.course.title,
                details={
                    "rows": len(shown.rows),
                    "filters": {k: request.GET[k] for k in ("unit", "state") if request.GET.get(k)},
                },
                strict=True,
            )
        except AuditUnavailable:
            messages.error(request, "审计日志暂时无法写入，为保证个人信息的导出都有记录，本次导出已取消。请稍后重试。")
            return redirect(
                reverse("study_course_progress", args=[course_id])
                + (f"?{request.GET.urlencode()}" if request.GET else "")
            )
        return xlsx_response(
            progress_export.workbook_bytes(shown),
            progress_export.file_name(shown),
            ascii_fallback=f"study-progress-{course_id}.xlsx",
        )
