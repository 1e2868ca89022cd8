"""The channel form: the address and the signing secret are write-only.

On edit both fields start empty; left empty they keep what is stored (the address is
shown masked beside the field), a new value replaces it, and 清除密钥 removes the secret.
Neither is ever put back into the HTML."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from cms.accounts.models import OrganisationUnit

from . import transport
from .models import KIND_CHOICES, Channel, Topic


class WriteOnlyInput(forms.TextInput):
    """A text field that never puts a value into the page, not even the one just posted
    back with an error (the address is a credential: it holds the robot's token)."""

    def format_value(self, value):
        return None


class ChannelForm(forms.ModelForm):
    address = forms.CharField(
        label="Webhook 地址",
        required=False,
        widget=WriteOnlyInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="粘贴平台显示的完整地址（以 https:// 开头）。",
    )
    secret = forms.CharField(
        label="签名密钥",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="钉钉、飞书“加签”或通用 Webhook 的密钥；保存后不再显示。",
    )
    clear_secret = forms.BooleanField(label="清除密钥", required=False)
    topics = forms.MultipleChoiceField(
        label="接收的消息", choices=Topic.choices, widget=forms.CheckboxSelectMultiple, required=True
    )
    kind = forms.ChoiceField(label="平台", choices=KIND_CHOICES)

    class Meta:
        model = Channel
        fields = ["name", "unit", "kind", "address", "secret", "topics", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = OrganisationUnit.objects.order_by("sort_order", "name")
        self.fields["unit"].empty_label = "整个党委（接收全部消息）"
        self.editing = self.instance.pk is not None
        # Never rendered back: the fields start empty on edit.
        self.initial.pop("address", None)
        self.initial.pop("secret", None)
        if self.editing:
            self.fields[
                "address"
            ].help_text = f"当前地址：{self.instance.masked_address}。留空则保持不变；粘贴新地址将替换它。"
            has_secret = bool(self.instance.secret)
            self.fields["secret"].help_text = (
                "已设置密钥。留空则保持不变；填写新密钥将替换它。" if has_secret else "未设置密钥。"
            )
        else:
            self.fields.pop("clear_secret")

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        address = (cleaned.get("address") or "").strip()
        if not address:
            if not self.editing:
                self.add_error("address", "请填写 Webhook 地址。")
                return cleaned
            address = self._stored("address")
        if kind:
            try:
                cleaned["address"] = transport.validate_address(kind, address)
            except ValidationError as error:
                self.add_error("address", error)
            except (ImportError, AttributeError, KeyError):
                self.add_error("kind", "该推送平台尚未安装。")
        if cleaned.get("clear_secret") and cleaned.get("secret"):
            self.add_error("secret", "不能同时填写新密钥并清除密钥。")
        return cleaned

    def _stored(self, field: str) -> str:
        return Channel.objects.filter(pk=self.instance.pk).values_list(field, flat=True).first() or ""

    def save(self, commit=True):
        channel = super().save(commit=False)
        if self.cleaned_data.get("clear_secret"):
            channel.secret = ""
        elif not self.cleaned_data.get("secret"):
            channel.secret = self._stored("secret") if self.editing else ""
        if commit:
            channel.save()
        return channel
