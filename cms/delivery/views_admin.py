"""消息推送 in the admin: 推送渠道 (list with health, create and edit with the write-only
address and secret, 发送测试消息) and 推送记录 (the delivery log, filterable).

管理员 and 推送管理 manage; a serving 支部书记 sees their units' channels and log, read-only;
a channel outside one's view is a 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import events, selectors, services
from .forms import ChannelForm
from .models import Delivery


class _Access:
    manage_only = False

    def dispatch(self, request, *args, **kwargs):
        self.access = selectors.access_of(request.user)
        if self.access.none or (self.manage_only and not self.access.manage):
            raise PermissionDenied  # Wagtail answers with its "no permission" redirect
        return super().dispatch(request, *args, **kwargs)

    def get_channel(self):
        return get_object_or_404(selectors.visible_channels(self.access), pk=self.kwargs["pk"])


class _Page(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "mail"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]


class ChannelListView(_Access, _Page):
    template_name = "delivery/admin/channels.html"
    page_title = "推送渠道"

    def get_context_data(self, **kwargs):
        channels = selectors.visible_channels(self.access).order_by("name", "pk")
        return super().get_context_data(channels=channels, manage=self.access.manage, **kwargs)


class ChannelEditView(_Access, _Page):
    template_name = "delivery/admin/channel_form.html"
    manage_only = True

    def get_page_title(self):
        return f"编辑推送渠道：{self.channel.name}" if self.channel else "添加推送渠道"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("delivery_channels"), "label": "推送渠道"},
            {"url": "", "label": self.get_page_title()},
        ]

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.channel = None

    def get(self, request, *args, **kwargs):
        if "pk" in kwargs:
            self.channel = self.get_channel()
        return self.render_to_response(self.get_context_data(form=ChannelForm(instance=self.channel)))

    def post(self, request, *args, **kwargs):
        if "pk" in kwargs:
            self.channel = self.get_channel()
        before = services.channel_state(self.channel)  # validation writes into the instance
        form = ChannelForm(request.POST, instance=self.channel)
        if form.is_valid():
            with transaction.atomic():
                channel = form.save()
                services.channel_saved(channel, before=before, user=request.user)
            messages.success(request, f"推送渠道「{channel.name}」已保存。")
            return redirect("delivery_channel_edit", channel.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(channel=self.channel, **kwargs)


class ChannelTestView(_Access, View):
    manage_only = True

    def post(self, request, pk):
        channel = self.get_channel()
        outcome = services.send_test_message(channel, user=request.user)
        if outcome.ok:
            messages.success(request, f"测试消息已发送，平台应答：{outcome.answer}")
        else:
            messages.error(request, f"测试消息发送失败，平台应答：{outcome.answer}")
        return redirect("delivery_channel_edit", channel.pk)


class LogFilterForm(forms.Form):
    channel = forms.ChoiceField(label="渠道", required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *Delivery.Status.choices], required=False)
    event = forms.ChoiceField(label="事件", required=False)
    date_from = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, channels, email: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "全部渠道"), *((str(c.pk), c.name) for c in channels)]
        if email:
            choices.append(("email", "邮件"))
        self.fields["channel"].choices = choices
        self.fields["event"].choices = [("", "全部事件"), *events.choices()]


class DeliveryLogView(_Access, _Page):
    template_name = "delivery/admin/log.html"
    page_title = "推送记录"
    per_page = 50

    def get_context_data(self, **kwargs):
        channels = selectors.visible_channels(self.access).order_by("name")
        form = LogFilterForm(self.request.GET or None, channels=channels, email=self.access.unit_ids is None)
        deliveries = selectors.visible_deliveries(self.access)
        if form.is_valid():
            deliveries = selectors.filtered_deliveries(deliveries, **form.cleaned_data)
        elif form.is_bound:
            deliveries = deliveries.none()
        page = Paginator(deliveries.order_by("-created_at", "-pk"), self.per_page).get_page(self.request.GET.get("p"))
        labels = dict(events.choices())
        rows = [{"delivery": d, "event": labels.get(d.event, d.event)} for d in page]
        query = self.request.GET.copy()
        query.pop("p", None)
        return super().get_context_data(form=form, page=page, rows=rows, query=query.urlencode(), **kwargs)


class ChannelDeleteView(_Access, _Page):
    """删除: the log keeps its rows (shown as 渠道已删除); what still waits is dropped."""

    template_name = "delivery/admin/channel_delete.html"
    manage_only = True

    def get_page_title(self):
        return f"删除推送渠道：{self.channel.name}"

    def get(self, request, pk):
        self.channel = self.get_channel()
        return self.render_to_response(self.get_context_data(channel=self.channel))

    def post(self, request, pk):
        channel = self.get_channel()
        name = channel.name
        services.delete_channel(channel, user=request.user)
        messages.success(request, f"推送渠道「{name}」已删除。")
        return redirect("delivery_channels")
