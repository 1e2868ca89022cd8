"""Admin pages of 测评: 题库导入 (upload, check report, then 确认导入), 题库导出, and the
secretaries' 测评统计 (per quiz: score distribution, who has not taken it, contest ranking;
the knowledge points the scope misses most) with its Excel export. Who sees whom is decided
in ``reports`` from ``scope_of``."""

from __future__ import annotations

import base64

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from cms.accounts.selectors import scope_of
from cms.audit.models import Action
from cms.audit.services import AuditUnavailable, record
from cms.core.spreadsheets import xlsx_response

from . import bank_io, report_export, reports, services

SESSION_KEY = "assessment_question_import"
MAX_BYTES = 5 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label="题库文件", help_text="Excel（.xlsx）或 CSV，第一行为表头：" + "、".join(bank_io.HEADERS) + "。"
    )
    publish = forms.BooleanField(
        label="导入后直接发布",
        required=False,
        help_text="不勾选时导入为草稿，提交审核发布后才会用于测验。需要题库发布权限。",
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_BYTES:
            raise forms.ValidationError("文件不能超过 5 MB，请分批导入。")
        return file


class _Named:
    def __init__(self, data: bytes, name: str):
        self.data, self.name = data, name

    def read(self, size=-1):
        return self.data if size < 0 else self.data[:size]


class _Page(WagtailAdminTemplateMixin, TemplateView):
    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]


class QuestionImportView(_Page):
    template_name = "assessment/admin/question_import.html"
    page_title = "导入题库"
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("assessment.add_question"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=UploadForm()))

    def post(self, request, *args, **kwargs):
        can_publish = request.user.has_perm("assessment.publish_question")
        if "confirm" in request.POST:
            stored = request.session.pop(SESSION_KEY, None)
            if not stored:
                messages.error(request, "没有待导入的文件，请重新上传。")
                return redirect("assessment_question_import")
            try:
                record(
                    Action.QUESTIONS_IMPORTED,
                    object_type="question",
                    object_repr=stored["name"],
                    details={"publish": stored["publish"] and can_publish},
                    strict=True,
                )
            except AuditUnavailable:
                messages.error(request, "审计日志暂时无法写入，本次导入已取消。请稍后重试。")
                return redirect("assessment_question_import")
            report = bank_io.import_questions(
                base64.b64decode(stored["data"]),
                dry_run=False,
                publish=stored["publish"] and can_publish,
                by=request.user,
            )
            if report.ok:
                messages.success(request, report.summary())
                return redirect("assessment_question_import")
            return self.render_to_response(self.get_context_data(form=UploadForm(), report=report))
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        data = upload.read()
        report = bank_io.import_questions(_Named(data, upload.name), dry_run=True)
        if report.ok:
            request.session[SESSION_KEY] = {
                "data": base64.b64encode(data).decode(),
                "name": upload.name,
                "publish": bool(form.cleaned_data["publish"]),
            }
        else:
            request.session.pop(SESSION_KEY, None)
        return self.render_to_response(
            self.get_context_data(
                form=UploadForm(),
                report=report,
                file_name=upload.name,
                will_publish=form.cleaned_data["publish"] and can_publish,
            )
        )


class QuestionExportView(View):
    def get(self, request):
        if not request.user.has_perm("assessment.change_question"):
            raise PermissionDenied
        try:
            record(Action.QUESTIONS_EXPORTED, object_type="question", object_repr="题库", strict=True)
        except AuditUnavailable:
            messages.error(request, "审计日志暂时无法写入，本次导出已取消。请稍后重试。")
            return redirect("assessment_question_import")
        return xlsx_response(bank_io.export_bytes(), bank_io.file_name(), ascii_fallback="question-bank.xlsx")


class _ReportAccess:
    def dispatch(self, request, *args, **kwargs):
        self.scope = scope_of(request.user)
        if not reports.can_view_reports(request.user, self.scope):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def quiz_report(self):
        report = reports.quiz_report(self.scope, self.kwargs["quiz_id"])
        if report is None:
            raise Http404("没有这个测验，或它不面向您负责的组织。")
        # Attempts left open past their deadline (a closed tab) count once graded: the
        # figures and the contest ranking are read again if any was.
        if services.finalise_expired_for_quiz(report.quiz):
            report = reports.quiz_report(self.scope, self.kwargs["quiz_id"])
        return report


class ReportOverviewView(_ReportAccess, _Page):
    template_name = "assessment/admin/report_overview.html"
    page_title = "测评统计"
    header_icon = "help"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            reports=reports.quiz_reports(self.scope),
            missed=reports.missed_points(self.scope),
            scope=self.scope.label,
            **kwargs,
        )


class QuizReportView(_ReportAccess, _Page):
    template_name = "assessment/admin/quiz_report.html"
    header_icon = "help"

    def get(self, request, *args, **kwargs):
        self.report = self.quiz_report()
        return super().get(request, *args, **kwargs)

    def get_page_title(self):
        return self.report.quiz.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("assessment_reports"), "label": "测评统计"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        ranking = reports.scoped_ranking(self.report.quiz, self.scope) if self.report.quiz.is_contest else None
        return super().get_context_data(report=self.report, ranking=ranking, scope=self.scope.label, **kwargs)


class QuizReportExportView(_ReportAccess, View):
    def get(self, request, quiz_id):
        report = self.quiz_report()
        ranking = reports.scoped_ranking(report.quiz, self.scope) if report.quiz.is_contest else None
        try:
            # Personal data leaves only with a trace: no audit entry, no file.
            record(
                Action.ASSESSMENT_EXPORTED,
                obj=report.quiz,
                object_type="quiz",
                object_repr=report.quiz.title,
                details={"rows": len(report.rows), "scope": self.scope.label},
                strict=True,
            )
        except AuditUnavailable:
            messages.error(request, "审计日志暂时无法写入，为保证个人信息的导出都有记录，本次导出已取消。请稍后重试。")
            return redirect("assessment_quiz_report", quiz_id=quiz_id)
        return xlsx_response(
            report_export.workbook_bytes(report, ranking),
            report_export.file_name(report),
            ascii_fallback=f"assessment-{quiz_id}.xlsx",
        )
