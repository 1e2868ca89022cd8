"""咨询与建议 in the admin: the list of what the person may answer (filters: state, kind,
overdue), an item's thread with the answer form, closing, attachment downloads and turning
an answered, consented item into a draft FAQ page. Every read starts from
``selectors.answerable(scope)``: an item outside the scope is a 404, never a page."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import downloads, selectors, services
from .forms import AnswerForm, FaqDraftForm
from .models import Kind, State
from .serializers import addressee_label


class FilterForm(forms.Form):
    state = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *State.choices], required=False)
    kind = forms.ChoiceField(label="类型", choices=[("", "全部类型"), *Kind.choices], required=False)
    overdue = forms.BooleanField(label="只看已超期", required=False)


class _Access:
    def dispatch(self, request, *args, **kwargs):
        self.scope = selectors.answer_scope(request.user)
        if self.scope.is_empty:
            raise PermissionDenied  # Wagtail answers with its "no permission" redirect
        return super().dispatch(request, *args, **kwargs)

    def get_item(self):
        return get_object_or_404(selectors.answerable(self.scope), pk=self.kwargs["pk"])


def _scope_label(scope) -> str:
    if scope.everything:
        return "全部组织"
    parts = []
    if scope.unit_ids:
        from cms.accounts.models import OrganisationUnit

        parts += list(OrganisationUnit.objects.filter(pk__in=scope.unit_ids).values_list("name", flat=True))
    if scope.committee:
        parts.append("党委办公室")
    return "、".join(parts)


class ConsultationListView(_Access, WagtailAdminTemplateMixin, TemplateView):
    template_name = "consultations/admin/list.html"
    page_title = "咨询与建议"
    header_icon = "help"
    per_page = 50

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        now = timezone.now()
        form = FilterForm(self.request.GET or None)
        items = selectors.answerable(self.scope)
        if form.is_valid():
            items = selectors.filtered(
                items,
                state=form.cleaned_data["state"],
                kind=form.cleaned_data["kind"],
                only_overdue=form.cleaned_data["overdue"],
                now=now,
            )
        elif form.is_bound:
            items = items.none()
        page = Paginator(items.order_by("-created_at", "-pk"), self.per_page).get_page(self.request.GET.get("p"))
        rows = [
            {"item": item, "addressee": addressee_label(item), "overdue": selectors.is_overdue(item, now)}
            for item in page
        ]
        query = self.request.GET.copy()
        query.pop("p", None)
        return super().get_context_data(
            form=form,
            page=page,
            rows=rows,
            query=query.urlencode(),
            scope=_scope_label(self.scope),
            counts=selectors.dashboard_counts(self.request.user, now),
            sla_days=settings.CONSULTATION_SLA_WORKING_DAYS,
            **kwargs,
        )


class ConsultationDetailView(_Access, WagtailAdminTemplateMixin, TemplateView):
    template_name = "consultations/admin/detail.html"
    header_icon = "help"

    def get_page_title(self):
        return f"{self.item.get_kind_display()} #{self.item.pk}"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("consultations_admin"), "label": "咨询与建议"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get(self, request, *args, **kwargs):
        self.item = self.get_item()
        return self.render_to_response(self.get_context_data(form=AnswerForm()))

    def post(self, request, *args, **kwargs):
        self.item = self.get_item()
        form = AnswerForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.answer(request.user, self.item, form.cleaned_data["text"], form.cleaned_data.get("attachment"))
            except ValidationError as error:
                _to_form(form, error)
            else:
                messages.success(request, "答复已发送，提问人会在“我的咨询”中看到。")
                return redirect("consultations_admin_detail", self.item.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        item = self.item
        sections = (
            services.faq_sections_for(self.request.user) if (item.public_consent and item.first_answered_at) else []
        )
        return super().get_context_data(
            item=item,
            thread=selectors.thread(item),
            addressee=addressee_label(item),
            overdue=selectors.is_overdue(item),
            is_open=item.state != State.CLOSED,
            asker_unit=item.asker.organisation.name if item.asker and item.asker.organisation_id else "",
            faq_form=FaqDraftForm(sections=sections) if sections else None,
            faq_pages=item.faq_pages.all(),
            **kwargs,
        )


def _to_form(form, error: ValidationError):
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


class ConsultationCloseView(_Access, View):
    def post(self, request, pk):
        item = self.get_item()
        try:
            services.close(request.user, item)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, "已关闭。提问人不能再追问。")
        return redirect("consultations_admin_detail", item.pk)


class ConsultationAttachmentView(_Access, View):
    def get(self, request, pk, message_id):
        item = self.get_item()
        message = get_object_or_404(item.messages.exclude(attachment=""), pk=message_id)
        return downloads.send(request, message)


class ConsultationFaqView(_Access, View):
    def post(self, request, pk):
        item = self.get_item()
        form = FaqDraftForm(request.POST, sections=services.faq_sections_for(request.user))
        if not form.is_valid():
            messages.error(request, "请选择放在哪个栏目。")
            return redirect("consultations_admin_detail", item.pk)
        try:
            page = services.make_faq_draft(request.user, item, form.cleaned_data["section"])
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("consultations_admin_detail", item.pk)
        messages.warning(
            request,
            "已生成常见问题草稿。草稿中是原问题和答复：请改写、去除姓名等个人信息，勾选“已去除个人信息”后再提交审核。",
        )
        return redirect("wagtailadmin_pages:edit", page.pk)
