"""Admin forms: the answer and close forms of the consultation admin, and the FAQ page's
editor form (cannot be submitted for approval or published before 已去除个人信息 is ticked)."""

from __future__ import annotations

from django import forms

from cms.core.forms import PublicPageForm


class FaqPageForm(PublicPageForm):
    def clean(self):
        cleaned = super().clean()
        if self.publishing_requested() and not cleaned.get("personal_data_removed"):
            self.add_error(
                "personal_data_removed", "提交审核或发布前，请改写问题和答复、去除个人信息，并勾选“已去除个人信息”。"
            )
        return cleaned


class AnswerForm(forms.Form):
    text = forms.CharField(
        label="答复内容",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        error_messages={"required": "请填写答复内容。", "max_length": "答复内容不能超过 %(limit_value)d 字。"},
    )
    attachment = forms.FileField(
        label="附件（选填）",
        required=False,
        error_messages={
            "invalid": "附件不是有效的文件。",
            "empty": "附件是空文件。",
            "missing": "附件没有上传成功，请重新选择。",
        },
        help_text="PDF、Word、Excel、文本或图片，不超过 10 MB。",
    )


class FaqDraftForm(forms.Form):
    section = forms.ChoiceField(label="放在栏目", choices=())

    def __init__(self, *args, sections, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = {str(section.pk): section for section in sections}
        self.fields["section"].choices = [(pk, section.title) for pk, section in self.sections.items()]

    def clean_section(self):
        return self.sections[self.cleaned_data["section"]]
