"""Public feedback forms (群众心声 …) on the static site.

The exporter (``cms/publishing/exporter.py``) writes a public ``FeedbackFormPage`` as a page
with ``type: form`` and the form's published definition in the front matter key ``dj_form``
(``cms.feedback.selectors.form_definition``: the same Field list the member API serves).
``overrides/partials/dj-form.html`` renders the form from what ``form_view`` returns and
``assets/javascripts/dj-public-form.js`` posts the answers as JSON to
``/api/forms/<id>/submissions/``.

content/ is untrusted (docs/content-format.md): whoever can write a file there could put
anything into ``dj_form``. So nothing of it reaches the template unchecked: ``form_view``
rebuilds the definition from a fixed set of keys, each of a checked type and length, as
plain text (``html_safety.plain``) that the template autoescapes; names that become HTML
attributes must look like the field names Wagtail makes (``clean_name``). A field type the
static form cannot offer (file uploads and the branch peer review need a logged-in member)
or a malformed definition is a content problem: logged (a strict build fails on it), never
rendered half.
"""

from __future__ import annotations

import re
from typing import Any

from build_scripts.html_safety import plain

#: What a public form can ask. ``file`` and ``peer_review`` are member-only (the editor form
#: refuses them under a section of the public site).
PUBLIC_TYPES = frozenset(
    {"singleline", "multiline", "radio", "checkboxes", "dropdown", "rating", "date", "number", "section"}
)
CHOICE_TYPES = frozenset({"radio", "checkboxes", "dropdown"})
RATING_LABELS = ["非常不满意", "不满意", "一般", "满意", "非常满意"]

_NAME = re.compile(r"^[a-z0-9_]{1,100}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
MAX_FIELDS = 200
MAX_CHOICES = 100
MAX_TEXT = 2000


class FormProblem(ValueError):
    """``dj_form`` is not what the exporter writes (said in Chinese, for the build log)."""


def _text(value: object, what: str, *, limit: int = MAX_TEXT, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FormProblem(f"{what} 应为文本")
    value = plain(value)
    if len(value) > limit:
        raise FormProblem(f"{what} 超过 {limit} 个字符")
    if required and not value.strip():
        raise FormProblem(f"{what} 不能为空")
    return value


def _number(value: object, what: str) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormProblem(f"{what} 应为数字")
    if value != value or value in (float("inf"), float("-inf")):
        raise FormProblem(f"{what} 应为数字")
    return int(value) if float(value).is_integer() else value


def _datetime(value: object, what: str) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not _DATETIME.match(value):
        raise FormProblem(f"{what} 应为 ISO 日期时间")
    return value


def _field(raw: object, index: int) -> dict[str, Any]:
    what = f"dj_form.fields[{index}]"
    if not isinstance(raw, dict):
        raise FormProblem(f"{what} 应为映射")
    kind = raw.get("type")
    if kind not in PUBLIC_TYPES:
        raise FormProblem(f"{what}.type 不能用于公开问卷：{str(kind)[:40]!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise FormProblem(f"{what}.name 应由小写字母、数字和下划线组成")
    field = {
        "name": name,
        "type": kind,
        "label": _text(raw.get("label"), f"{what}.label", limit=500, required=True),
        "help_text": _text(raw.get("help_text"), f"{what}.help_text"),
        "required": raw.get("required") is True,
        "choices": [],
        "min": None,
        "max": None,
        "max_length": None,
    }
    if kind in CHOICE_TYPES:
        choices = raw.get("choices")
        if not isinstance(choices, list) or not choices or len(choices) > MAX_CHOICES:
            raise FormProblem(f"{what}.choices 应为 1–{MAX_CHOICES} 个选项的列表")
        field["choices"] = [_text(c, f"{what}.choices", limit=500, required=True) for c in choices]
    if kind == "rating":
        field["choices"] = [
            {"value": str(i + 1), "label": f"{i + 1} 分 {label}"} for i, label in enumerate(RATING_LABELS)
        ]
    if kind == "number":
        field["min"] = _number(raw.get("min"), f"{what}.min")
        field["max"] = _number(raw.get("max"), f"{what}.max")
    if kind in ("singleline", "multiline"):
        limit = raw.get("max_length")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= 100_000):
            raise FormProblem(f"{what}.max_length 应为正整数")
        field["max_length"] = limit
    return field


def form_view(meta: dict[str, Any]) -> dict[str, Any]:
    """The template's view of a form page's ``dj_form`` (raises FormProblem)."""
    raw = meta.get("dj_form")
    if not isinstance(raw, dict):
        raise FormProblem("缺少 dj_form 或其格式不对")
    form_id = raw.get("id")
    if isinstance(form_id, bool) or not isinstance(form_id, int) or form_id <= 0:
        raise FormProblem("dj_form.id 应为正整数")
    fields = raw.get("fields")
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        raise FormProblem(f"dj_form.fields 应为不超过 {MAX_FIELDS} 项的列表")
    checked = [_field(f, i) for i, f in enumerate(fields)]
    names = [f["name"] for f in checked if f["type"] != "section"]
    if len(set(names)) != len(names):
        raise FormProblem("dj_form.fields 中有重复的 name")
    return {
        "id": form_id,
        "kind_label": _text(raw.get("kind_label"), "dj_form.kind_label", limit=50),
        "intro": _text(raw.get("intro"), "dj_form.intro"),
        "thank_you_text": _text(raw.get("thank_you_text"), "dj_form.thank_you_text"),
        "opens_at": _datetime(raw.get("opens_at"), "dj_form.opens_at"),
        "closes_at": _datetime(raw.get("closes_at"), "dj_form.closes_at"),
        "fields": checked,
        "answerable": any(f["type"] != "section" for f in checked),
    }
