"""The Wagtail admin's client-side UI speaks Simplified Chinese too.

Wagtail 7.4's bundled zh_Hans djangojs catalogue leaves some msgids untranslated
(StreamField block chooser, Draftail toolbar, autosave status, ...); the project fills
them in cms/locale/zh_Hans/LC_MESSAGES/djangojs.po. The admin loads them from its
JavaScriptCatalog at /admin/jsi18n/ (name "wagtailadmin_javascript_catalog").
"""

import json
import re
from pathlib import Path

import pytest
import wagtail
from django.conf import settings
from django.urls import reverse

EXPECTED = {
    "Insert a block": "插入区块",
    "Blocks": "区块",
    "Split block": "拆分区块",
    "Write something or type ‘/’ to insert a block": "输入内容，或键入“/”插入区块",
    "Autosave in progress…": "正在自动保存…",
    "Changes have been autosaved.": "更改已自动保存。",
    "A network error occurred.": "发生网络错误。",
    "A server error occurred.": "发生服务器错误。",
    "Error while sending preview data.": "发送预览数据时出错。",
    "(New)": "（新）",
}
PLURALS = {
    "%(num)s error": "%(num)s 个错误",
    "%(num)s min": "%(num)s 分钟",
    "%(num)s pixel": "%(num)s 像素",
}


def _catalog(admin_client) -> dict:
    url = reverse("wagtailadmin_javascript_catalog")
    assert url == "/admin/jsi18n/"
    response = admin_client.get(url)
    assert response.status_code == 200
    match = re.search(r"const newcatalog = (\{.*?\});\n", response.content.decode(), re.S)
    assert match, "JavaScriptCatalog output format changed"
    return json.loads(match.group(1))


@pytest.mark.django_db
def test_jsi18n_serves_chinese_for_strings_wagtail_leaves_untranslated(admin_client):
    catalog = _catalog(admin_client)
    for msgid, msgstr in EXPECTED.items():
        assert catalog.get(msgid) == msgstr, msgid
    for msgid, msgstr in PLURALS.items():
        assert catalog.get(msgid) == [msgstr], msgid


@pytest.mark.django_db
def test_jsi18n_raw_response_contains_insert_a_block_translation(admin_client):
    response = admin_client.get("/admin/jsi18n/")
    assert response.status_code == 200
    # JavaScriptCatalog embeds the catalogue as ASCII-escaped JSON.
    expected = f"{json.dumps('Insert a block')}: {json.dumps('插入区块')}"
    assert expected in response.content.decode()


@pytest.mark.django_db
def test_no_wagtail_js_source_string_is_left_in_english(admin_client):
    """Every msgid in Wagtail's English djangojs source catalogue has a zh_Hans translation."""
    catalog = _catalog(admin_client)
    en_po = Path(wagtail.__file__).parent / "admin/locale/en/LC_MESSAGES/djangojs.po"
    msgids = re.findall(r'^msgid "(.+)"$', en_po.read_text(encoding="utf-8"), re.M)
    assert msgids
    missing = [m for m in msgids if not catalog.get(m.replace('\\"', '"'))]
    assert missing == []


def test_compiled_catalogue_is_present():
    mo = Path(settings.LOCALE_PATHS[0]) / "zh_Hans/LC_MESSAGES/djangojs.mo"
    assert mo.is_file()
