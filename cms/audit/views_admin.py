"""审计日志 in the admin: search, pages of 50, Excel export of what the search found.
管理员 only (``accounts.selectors.is_administrator``); everybody else gets Wagtail's refusal."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import DatabaseError, transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from cms.accounts.views_admin import AdministratorsOnly
from cms.core.spreadsheets import xlsx_response

from . import export, selectors, services
from .models import Action

EXPORT_REFUSED = "审计日志暂时无法写入，为保证每次导出都有记录，本次导出已取消。请稍后重试或联系系统管理员。"


class AuditFilterForm(forms.Form):
    person = forms.CharField(label="人员", required=False, max_length=150, help_text="操作人或被操作人的用户名、姓名")
    action = forms.ChoiceField(label="操作", required=False, choices=[("", "全部操作"), *Action.choices])
    obj = forms.CharField(label="对象", required=False, max_length=200, help_text="对象类型、ID 或名称")
    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ip = forms.CharField(label="IP 地址", required=False, max_length=45)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        return data

    def entries(self):
        if not self.is_bound:
            return selectors.search_entries()
        if not self.is_valid():
            return selectors.search_entries().none()
        return selectors.search_entries(**self.cleaned_data)


class AuditLogView(AdministratorsOnly, WagtailAdminTemplateMixin, TemplateView):
    template_name = "audit/list.html"
    page_title = "审计日志"
    header_icon = "history"
    per_page = 50

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        form = AuditFilterForm(self.request.GET or None)
        page = Paginator(form.entries(), self.per_page).get_page(self.request.GET.get("p"))
        query = self.request.GET.copy()
        query.pop("p", None)
        return super().get_context_data(
            form=form, page=page, query=query.urlencode(), retention_days=services.retention_days(), **kwargs
        )


class AuditExportView(AdministratorsOnly, View):
    def get(self, request):
        form = AuditFilterForm(request.GET or None)
        entries = form.entries()
        filters = {
            key: str(value)
            for key, value in (form.cleaned_data if form.is_bound and form.is_valid() else {}).items()
            if value
        }
        try:
            # Recorded before the file is made: an export that cannot be audited does not happen.
            with transaction.atomic():  # a failed read must not break the request's connection
                rows = entries.count()
            services.record(
                Action.AUDIT_EXPORTED,
                object_type="auditlog",
                object_repr="审计日志",
                details={"filters": filters, "rows": rows},
                strict=True,
            )
        except (services.AuditUnavailable, DatabaseError):
            messages.error(request, EXPORT_REFUSED)
            return redirect(reverse("audit_log") + (f"?{request.GET.urlencode()}" if request.GET else ""))
        response = xlsx_response(export.workbook_bytes(entries), export.file_name(), ascii_fallback="audit-log.xlsx")
        response["Cache-Control"] = "no-store"
        return response
