"""Admin page for 管理员: upload a roster, see the check report, then 确认导入."""
import base64

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import services

SESSION_KEY = "accounts_people_import"
MAX_BYTES = 5 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label="人员名单文件", help_text="CSV 或 Excel（.xlsx），第一行为表头：姓名、工号（或手机号）、支部、身份、入党时间（选填）、角色（选填）。")

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_BYTES:
            raise forms.ValidationError("文件不能超过 5 MB，请分批导入。")
        return file


class PeopleImportView(WagtailAdminTemplateMixin, TemplateView):
    """GET: the upload form. POST with a file: a dry run whose report is shown; the file is
    kept in the session so POST with ``confirm`` imports exactly what was checked."""

    template_name = "accounts/people_import.html"
    page_title = "批量导入人员"
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("accounts.import_people"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=UploadForm()))

    def post(self, request, *args, **kwargs):
        if "confirm" in request.POST:
            stored = request.session.pop(SESSION_KEY, None)
            if not stored:
                messages.error(request, "没有待导入的文件，请重新上传。")
                return redirect("accounts_people_import")
            report = services.import_people(base64.b64decode(stored["data"]), dry_run=False, by=request.user)
            if report.ok:
                messages.success(request, report.summary())
                return redirect("accounts_people_import")
            return self.render_to_response(self.get_context_data(form=UploadForm(), report=report))
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        data = upload.read()
        report = services.import_people(_Named(data, upload.name), dry_run=True, by=request.user)
        if report.ok:
            request.session[SESSION_KEY] = {"data": base64.b64encode(data).decode(), "name": upload.name}
        else:
            request.session.pop(SESSION_KEY, None)
        return self.render_to_response(self.get_context_data(form=UploadForm(), report=report, file_name=upload.name))


class _Named:
    def __init__(self, data: bytes, name: str):
        self.data, self.name = data, name

    def read(self):
        return self.data
