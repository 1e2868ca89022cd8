"""A failed build, told in terms of pages and fields an editor knows.

The build (build_scripts, the MkDocs hook) reports problems by content/ file, e.g.
``news/x.md: date 应为 YYYY-MM-DD``. The exporter's manifest maps files back to pages, so
the message on the dashboard and under 网站发布记录 can say which page and which field:
``页面“……”（/news/x/）的“发布日期”（date）：……``.
"""

from __future__ import annotations

import re

from wagtail.models import Page

# Front matter keys (docs/content-format.md) as the editor's form labels them.
FIELD_LABELS = {
    "title": "标题",
    "date": "发布日期",
    "tags": "标签",
    "type": "页面类型",
    "summary": "摘要",
    "category": "公开类别",
    "issuing_unit": "发布单位",
    "intro": "介绍",
    "canonical_url": "网址",
    "front matter": "页面信息",
}
_CONTENT_FILE = re.compile(r"(?<![\w./-])([\w./-]+\.md)\b")
_FIELD = re.compile(r"\b(" + "|".join(re.escape(k) for k in FIELD_LABELS) + r")\b")


def explain(message: str, manifest: dict[int, dict]) -> str:
    """``message`` with, for every content file it names, the page and the field at fault."""
    by_path = {entry["path"]: page_id for page_id, entry in manifest.items()}
    findings: dict[str, list[str]] = {}
    for line in message.splitlines():
        for path in _CONTENT_FILE.findall(line):
            if path in by_path:
                findings.setdefault(path, [])
                detail = line.strip().lstrip("-").strip()
                if detail not in findings[path]:
                    findings[path].append(detail)
    if not findings:
        return message
    titles = dict(Page.objects.filter(pk__in=[by_path[p] for p in findings]).values_list("pk", "title"))
    lines = ["出问题的页面："]
    for path, details in findings.items():
        page_id = by_path[path]
        url = "/" + re.sub(r"(^|/)index\.md$", r"\1", path).removesuffix(".md").strip("/")
        url = url.rstrip("/") + "/" if url != "/" else "/"
        name = titles.get(page_id, f"ID {page_id}")
        for detail in details:
            field = _FIELD.search(detail.split(":", 1)[-1])
            where = f"的“{FIELD_LABELS[field.group(1)]}”（{field.group(1)}）" if field else ""
            lines.append(f"  - 页面“{name}”（{url}，页面ID {page_id}）{where}：{detail}")
    return "\n".join(lines) + "\n\n" + message
