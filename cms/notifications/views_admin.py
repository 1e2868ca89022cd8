"""通知公告 in the admin: the list, drafting, sending (after a confirmation that shows how many
people it will reach), and per notice the receipts by unit with 提醒 and the XLSX export.
Every read starts from the person's ``NoticeScope``: a notice outside it is a 404, and a
secretary sees, reminds and exports only the recipients in their own units."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from cms.audit.models import Action
from cms.audit.services import AuditUnavailable, record
from cms.core.spreadsheets import xlsx_response

from . import export, selectors, services
from .forms import NoticeForm

LIST_LABEL = "通知公告"


class _Access:
    def dispatch(self, request, *args, **kwargs):
        self.scope = selectors.notice_scope(request.user)
        if self.scope.is_empty:
            raise PermissionDenied  # Wagtail answers with its "no permission" redirect
        return super().dispatch(request, *args, **kwargs)

    def get_sent(self):
        return get_object_or_404(selectors.visible(self.scope).filter(sent_at__isnull=False), pk=self.kwargs["pk"])

    def get_draft(self):
        return get_object_or_404(selectors.editable(self.scope), pk=self.kwargs["pk"])


class _Page(_Access, WagtailAdminTemplateMixin, TemplateView):
    header_icon = "mail"

    def get_breadcrumbs_items(self):
        items = self.breadcrumbs_items + [{"url": reverse("notices_admin"), "label": LIST_LABEL}]
        if self.get_page_title() != LIST_LABEL:
            items.append({"url": "", "label": self.get_page_title()})
        return items


def _to_form(form, error: ValidationError):
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


class NoticeListView(_Page):
    template_name = "notifications/admin/list.html"
    page_title = LIST_LABEL
    per_page = 50

    def get_context_data(self, **kwargs):
        notices = selectors.with_counts(selectors.visible(self.scope), self.scope).order_by("-created_at", "-pk")
        page = Paginator(notices, self.per_page).get_page(self.request.GET.get("p"))
        editable = set(selectors.editable(self.scope).filter(pk__in=[n.pk for n in page]).values_list("pk", flat=True))
        return super().get_context_data(page=page, editable=editable, scope=self.scope.label, **kwargs)


class NoticeFormView(_Page):
    template_name = "notifications/admin/form.html"

    def get_page_title(self):
        return "编辑通知草稿" if self.notice else "新建通知"

    def get(self, request, *args, **kwargs):
        self.notice = self.get_draft() if "pk" in kwargs else None
        return self.render_to_response(self.get_context_data(form=NoticeForm(instance=self.notice, scope=self.scope)))

    def post(self, request, *args, **kwargs):
        self.notice = self.get_draft() if "pk" in kwargs else None
        form = NoticeForm(request.POST, instance=self.notice, scope=self.scope)
        if form.is_valid():
            data = form.cleaned_data
            try:
                notice = services.save_draft(
                    request.user,
                    self.notice,
                    title=data["title"],
                    body=data["body"],
                    kind=data["kind"],
                    sender_unit=data["sender_unit"],
                    audience_units=data["audience_units"],
                    audience_statuses=data["audience_statuses"],
                    requires_confirmation=data["requires_confirmation"],
                    requires_reply=data["requires_reply"],
                    deadline=data["deadline"],
                )
            except ValidationError as error:
                _to_form(form, error)
            else:
                messages.success(request, "草稿已保存。检查无误后可发送。")
                return redirect("notices_admin_send", notice.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(notice=self.notice, **kwargs)


class NoticeSendView(_Page):
    """GET: the draft as members will see it and how many it reaches; POST: send."""

    template_name = "notifications/admin/send.html"
    page_title = "发送通知"

    def get(self, request, *args, **kwargs):
        notice = self.get_draft()
        return self.render_to_response(
            self.get_context_data(
                notice=notice,
                count=services.audience_size(notice),
                units=notice.audience_units.all(),
                statuses=[
                    label
                    for value, label in NoticeForm.base_fields["audience_statuses"].choices
                    if value in notice.audience_statuses
                ],
            )
        )

    def post(self, request, *args, **kwargs):
        notice = self.get_draft()
        try:
            count = services.send(request.user, notice)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            return redirect("notices_admin_send", notice.pk)
        messages.success(request, f"通知已发送给 {count} 人。")
        return redirect("notices_admin_status", notice.pk)


class NoticeDeleteView(_Access, View):
    def post(self, request, pk):
        notice = self.get_draft()
        services.delete_draft(request.user, notice)
        messages.success(request, "草稿已删除。")
        return redirect("notices_admin")


class NoticeStatusView(_Page):
    template_name = "notifications/admin/status.html"

    def get_page_title(self):
        return "回执情况"

    def get(self, request, *args, **kwargs):
        notice = self.get_sent()
        groups = selectors.status_by_unit(notice, self.scope)
        totals = {
            name: sum(getattr(group, name) for group in groups)
            for name in ("total", "read", "confirmed", "attend", "absent", "replied", "outstanding")
        }
        return self.render_to_response(
            self.get_context_data(notice=notice, groups=groups, totals=totals, scope=self.scope.label)
        )


class NoticeRemindView(_Access, View):
    def post(self, request, pk):
        notice = self.get_sent()
        try:
            count = services.remind(request.user, notice)
        except ValidationError as error:
            messages.warning(request, error.messages[0])
            return redirect("notices_admin_status", notice.pk)
        if count:
            messages.success(request, f"已提醒 {count} 位尚未完成的人员。")
        else:
            messages.info(request, "所有人都已完成，无需提醒。")
        return redirect("notices_admin_status", notice.pk)


class NoticeExportView(_Access, View):
    def get(self, request, pk):
        notice = self.get_sent()
        try:
            # Names and replies leave only with a trace: no audit entry, no file.
            record(
                Action.NOTICE_RECEIPTS_EXPORTED,
                obj=notice,
                object_type="notice",
                object_id=notice.pk,
                object_repr=f"通知 #{notice.pk}",
                details={"scope": self.scope.label},
                strict=True,
            )
        except AuditUnavailable:
            messages.error(request, "审计日志暂时无法写入，为保证回执的导出都有记录，本次导出已取消。请稍后重试。")
            return redirect("notices_admin_status", notice.pk)
        return xlsx_response(
            export.workbook_bytes(notice, self.scope),
            export.file_name(notice),
            ascii_fallback=f"notice-{notice.pk}.xlsx",
        )
