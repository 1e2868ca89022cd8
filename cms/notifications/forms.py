"""The admin's draft form. Which units may be chosen is the person's ``NoticeScope``; the
rules across fields (scope, reply needs a deadline) are checked again in ``services``."""

from __future__ import annotations

from django import forms
from wagtail.admin.widgets import AdminDateTimeInput

from cms.accounts.models import MemberStatus

from . import selectors
from .models import Notice

STATUS_CHOICES = [(s.value, s.label) for s in MemberStatus if s != MemberStatus.TRANSFERRED_OUT]


class NoticeForm(forms.ModelForm):
    audience_statuses = forms.MultipleChoiceField(
        label="面向身份",
        choices=STATUS_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不勾选表示面向所有身份（已转出人员除外）。",
    )

    class Meta:
        model = Notice
        fields = [
            "title",
            "kind",
            "body",
            "sender_unit",
            "audience_units",
            "audience_statuses",
            "requires_confirmation",
            "requires_reply",
            "deadline",
        ]
        widgets = {
            "audience_units": forms.CheckboxSelectMultiple,
            "deadline": AdminDateTimeInput,
            "body": forms.Textarea(attrs={"rows": 10}),
        }

    def __init__(self, *args, scope: selectors.NoticeScope, **kwargs):
        super().__init__(*args, **kwargs)
        units = selectors.sender_units(scope)
        self.fields["sender_unit"].queryset = units
        self.fields["audience_units"].queryset = units
        self.fields["audience_units"].help_text = "可多选；选择党委或党总支时包括其下所有组织。"
        if not self.instance.pk and len(units) == 1:
            self.initial.setdefault("sender_unit", units[0].pk)
