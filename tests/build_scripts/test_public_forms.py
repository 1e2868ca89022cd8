"""Public feedback forms on the static site (build_scripts/public_forms.py, partials/dj-form.html).

The exporter writes a public form as a page with ``type: form`` and ``dj_form`` front matter;
these tests hand-write such pages into a sample content/ (what the exporter writes is
checked in tests/publishing/test_export_forms.py) and build the site: every field type
renders with a real label, help text, required mark and error slot; hostile labels, help
texts, choices, intro and thank-you text come out as text; a malformed or hand-made
``dj_form`` fails the build instead of reaching the page; ``dj_form`` on any other page is
ignored.
"""

import copy
import re

import pytest
import yaml
from bs4 import BeautifulSoup
from content_samples import write_sample_content

from build_scripts.site_build import BuildError, build_release
from tests.hostile import PAYLOADS, marker, shown, unsafe_markup

FORM_URL = "openness/voice/"


def definition(**overrides) -> dict:
    form = {
        "id": 77,
        "kind": "message",
        "kind_label": "群众心声",
        "intro": "欢迎您给党组织留言。",
        "thank_you_text": "我们会认真阅读每一条留言。",
        "opens_at": None,
        "closes_at": "2099-12-31T18:00:00+08:00",
        "fields": [
            {
                "name": "about_you",
                "type": "section",
                "label": "关于您",
                "help_text": "以下信息均为选填。",
                "required": False,
                "choices": [],
                "min": None,
                "max": None,
                "max_length": None,
            },
            {
                "name": "name",
                "type": "singleline",
                "label": "称呼",
                "help_text": "可以不填真实姓名。",
                "required": False,
                "choices": [],
                "min": None,
                "max": None,
                "max_length": 50,
            },
            {
                "name": "message",
                "type": "multiline",
                "label": "留言内容",
                "help_text": "",
                "required": True,
                "choices": [],
                "min": None,
                "max": None,
                "max_length": 2000,
            },
            {
                "name": "topic",
                "type": "radio",
                "label": "留言类别",
                "help_text": "",
                "required": True,
                "choices": ["意见建议", "咨询", "表扬"],
                "min": None,
                "max": None,
                "max_length": None,
            },
            {
                "name": "channels",
                "type": "checkboxes",
                "label": "您从哪里知道本栏目",
                "help_text": "",
                "required": False,
                "choices": ["网站", "微信"],
                "min": None,
                "max": None,
                "max_length": None,
            },
            {
                "name": "district",
                "type": "dropdown",
                "label": "所在街道",
                "help_text": "",
                "required": False,
                "choices": ["东城", "西城"],
                "min": None,
                "max": None,
                "max_length": None,
            },
            {
                "name": "satisfaction",
                "type": "rating",
                "label": "对党组织工作的满意度",
                "help_text": "",
                "required": False,
                "choices": [],
                "min": 1,
                "max": 5,
                "max_length": None,
            },
            {
                "name": "when",
                "type": "date",
                "label": "事情发生的日期",
                "help_text": "",
                "required": False,
                "choices": [],
                "min": None,
                "max": None,
                "max_length": None,
            },
            {
                "name": "age",
                "type": "number",
                "label": "年龄",
                "help_text": "",
                "required": False,
                "choices": [],
                "min": 0,
                "max": 120,
                "max_length": None,
            },
        ],
    }
    form.update(overrides)
    return form


def write_form_page(content, form, *, path="openness/voice.md", page_type="form", title="群众心声") -> None:
    meta = {
        "title": title,
        "page_id": 500,
        "type": page_type,
        "date": "2026-08-01",
        "tags": [],
        "category": None,
        "issuing_unit": None,
        "canonical_url": "https://dj.example.cn/" + FORM_URL,
        "summary": "给党组织留言",
        "type_label": "群众心声",
        "dj_form": form,
    }
    target = content / path
    target.parent.mkdir(parents=True, exist_ok=True)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    target.write_text(f"---\n{front}---\n\n欢迎您给党组织留言。\n", encoding="utf-8")


def page_html(release, url=FORM_URL) -> str:
    return (release.path / url / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("public-form")
    content = write_sample_content(root / "content")
    write_form_page(content, definition())
    return build_release(content, root / "releases")


def test_every_public_field_type_renders_with_label_help_and_error_slot(built):
    soup = BeautifulSoup(page_html(built), "html.parser")
    form = soup.select_one("form#dj-public-form")
    assert form is not None
    assert form["data-endpoint"] == "/api/forms/77/submissions/"
    assert form["data-closes-at"] == "2099-12-31T18:00:00+08:00"
    assert "novalidate" in form.attrs
    # The section heading, no answer for it.
    assert form.select_one(".dj-forms-section h2").get_text() == "关于您"
    assert not form.select("[data-field=about_you]")
    # Text fields: a <label for> naming them, help and error through aria-describedby.
    name = form.select_one("#dj-q-name")
    assert name.name == "input" and name["type"] == "text" and name["maxlength"] == "50"
    assert form.select_one("label[for=dj-q-name]").get_text(strip=True) == "称呼"
    assert name["aria-describedby"] == "dj-q-name-help dj-q-name-error"
    assert form.select_one("#dj-q-name-help").get_text() == "可以不填真实姓名。"
    assert form.select_one("#dj-q-name-error") is not None
    message = form.select_one("#dj-q-message")
    assert message.name == "textarea" and "required" in message.attrs
    assert "*" in form.select_one("label[for=dj-q-message]").get_text()
    assert "（必答）" in form.select_one("label[for=dj-q-message]").get_text()
    # Choice groups are fieldsets with a legend; every option has its own label.
    topic = form.select_one("fieldset[data-field=topic]")
    assert topic.legend.get_text(strip=True).startswith("留言类别")
    assert [i["value"] for i in topic.select("input[type=radio]")] == ["意见建议", "咨询", "表扬"]
    for option in topic.select("input"):
        assert topic.select_one(f"label[for={option['id']}]") is not None
        assert option["aria-describedby"] == "dj-q-topic-error"
    assert len(form.select("fieldset[data-field=channels] input[type=checkbox]")) == 2
    assert [o.get_text() for o in form.select("#dj-q-district option")] == ["请选择", "东城", "西城"]
    rating = form.select("fieldset[data-field=satisfaction] input[type=radio]")
    assert [r["value"] for r in rating] == ["1", "2", "3", "4", "5"]
    labels = [form.select_one(f"label[for={r['id']}]").get_text() for r in rating]
    assert labels[0] == "1 分 非常不满意" and labels[-1] == "5 分 非常满意"
    assert form.select_one("#dj-q-when")["type"] == "date"
    age = form.select_one("#dj-q-age")
    assert (age["type"], age["min"], age["max"]) == ("number", "0", "120")
    # The submit button waits for the script (no JSON post without it).
    assert "disabled" in form.select_one("button[type=submit]").attrs
    assert soup.select_one("#dj-public-form-thanks").get_text(" ", strip=True).endswith("我们会认真阅读每一条留言。")


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(built):
    soup = BeautifulSoup(page_html(built), "html.parser")
    trap = soup.select_one("#dj-public-form-website")
    assert trap["name"] == "website" and trap["tabindex"] == "-1" and trap["autocomplete"] == "off"
    wrapper = trap.find_parent("div")
    assert wrapper["aria-hidden"] == "true" and "dj-forms-trap" in wrapper["class"]


def test_page_loads_its_script_and_styles_and_nothing_inline(built):
    html = page_html(built)
    soup = BeautifulSoup(html, "html.parser")
    scripts = [s.get("src", "") for s in soup.find_all("script")]
    assert any(s.endswith("assets/javascripts/dj-public-form.js") for s in scripts)
    assert any(
        link["href"].endswith("assets/stylesheets/dj-member.css") for link in soup.find_all("link", rel="stylesheet")
    )
    content = soup.select_one("article") or soup
    assert not content.select("[style]")
    # Other pages do not load the form script.
    assert "dj-public-form.js" not in page_html(built, "news/democratic-review/")
    assert "dj-public-form.js" not in page_html(built, "")


def test_form_page_is_listed_in_its_section(built):
    listing = page_html(built, "openness/")
    assert 'href="voice/"' in listing or "voice/" in listing


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("public-form-hostile")
    content = write_sample_content(root / "content")
    form = definition(intro=PAYLOADS[0], thank_you_text=PAYLOADS[1], kind_label=PAYLOADS[2])
    fields = []
    for index, payload in enumerate(PAYLOADS):
        # Labels, help texts and choices each get every payload once.
        fields.append(
            {
                "name": f"q{index}",
                "type": ("radio", "checkboxes", "dropdown")[index % 3],
                "label": payload,
                "help_text": PAYLOADS[-1 - index],
                "required": index % 2 == 0,
                "choices": [payload, "其他"],
                "min": None,
                "max": None,
                "max_length": None,
            }
        )
    form["fields"] = fields + [
        {
            "name": "section_x",
            "type": "section",
            "label": PAYLOADS[3],
            "help_text": PAYLOADS[4],
            "required": False,
            "choices": [],
        }
    ]
    write_form_page(content, form, title="群众心声" + PAYLOADS[5])
    return build_release(content, root / "releases")


def test_hostile_labels_help_texts_and_choices_come_out_as_text(hostile_build):
    html = page_html(hostile_build)
    ours = {p.name for p in (hostile_build.path / "assets" / "javascripts").iterdir() if p.suffix == ".js"}
    soup = BeautifulSoup(html, "html.parser")
    # The content area holds the template's form and its inputs (checked by name below) and
    # nothing else a payload could have brought.
    article = copy.copy(soup.select_one("article.md-content__inner"))
    article.select_one("form#dj-public-form").decompose()
    without_form = str(soup).replace(str(soup.select_one("article.md-content__inner")), str(article))
    problems = unsafe_markup(without_form, allowed_scripts=ours, where=FORM_URL, content="article.md-content__inner")
    problems += [p for p in unsafe_markup(html, allowed_scripts=ours, where=FORM_URL) if "from content" not in p]
    assert problems == []
    form = soup.select_one("form#dj-public-form")
    for index, payload in enumerate(PAYLOADS):
        wrapper = form.select_one(f"[data-field=q{index}]")
        label = wrapper.select_one("legend, label")
        assert shown(payload) in " ".join(label.get_text().split()), marker(payload)
        help_text = wrapper.select_one(f"#dj-q-q{index}-help")
        assert " ".join(help_text.get_text().split()) == shown(PAYLOADS[-1 - index]), marker(payload)
        if index % 3 == 2:
            values = [o["value"] for o in wrapper.select("option")]
        else:
            values = [i["value"] for i in wrapper.select("input")]
        assert any(" ".join(v.split()) == shown(payload) for v in values), marker(payload)
    # The only elements inside the form are the ones the template makes.
    assert {tag.name for tag in form.find_all(True)} <= {
        "div",
        "p",
        "h2",
        "fieldset",
        "legend",
        "label",
        "input",
        "select",
        "option",
        "textarea",
        "span",
        "button",
        "noscript",
        "ul",
        "li",
        "strong",
    }
    assert len(soup.find_all("form", id="dj-public-form")) == 1


@pytest.mark.parametrize(
    "breakage,expected",
    [
        ("file_field", "不能用于公开问卷"),
        ("peer_review", "不能用于公开问卷"),
        ("attribute_name", "name 应由小写字母"),
        ("no_id", "dj_form.id"),
        ("not_a_mapping", "dj_form"),
        ("choices_markup", "choices"),
        ("duplicate_names", "重复"),
    ],
)
def test_a_malformed_definition_fails_the_build(tmp_path, breakage, expected):
    content = write_sample_content(tmp_path / "content")
    form = definition()
    if breakage == "file_field":
        form["fields"].append({"name": "upload", "type": "file", "label": "附件"})
    elif breakage == "peer_review":
        form["fields"].append(
            {"name": "review", "type": "peer_review", "label": "评议", "people": [{"id": 1, "name": "甲"}]}
        )
    elif breakage == "attribute_name":
        form["fields"][1]["name"] = 'x" onfocus="alert(1)'
    elif breakage == "no_id":
        form["id"] = "77/../../api/member/session"
    elif breakage == "not_a_mapping":
        form = "<script>alert(1)</script>"
    elif breakage == "choices_markup":
        form["fields"][3]["choices"] = {"<b>": 1}
    elif breakage == "duplicate_names":
        form["fields"][2]["name"] = "name"
    write_form_page(content, form)
    with pytest.raises(BuildError) as info:
        build_release(content, tmp_path / "releases")
    assert expected in str(info.value)


def test_dj_form_on_an_ordinary_page_is_ignored(tmp_path):
    """Only pages the exporter marks as forms get one: a hand-edited article with a
    ``dj_form`` key renders as the article it is."""
    content = write_sample_content(tmp_path / "content")
    write_form_page(content, definition(), path="news/not-a-form.md", page_type="news", title="普通新闻")
    release = build_release(content, tmp_path / "releases")
    html = page_html(release, "news/not-a-form/")
    assert (
        "dj-public-form" not in html
        and "<form" not in BeautifulSoup(html, "html.parser").select_one("article").decode()
    )


def test_the_definition_is_rebuilt_from_known_keys_only():
    from build_scripts import public_forms as dj_public_forms

    raw = definition()
    raw["extra"] = "<script>"
    raw["fields"][1]["onclick"] = "alert(1)"
    raw["fields"][1]["label"] = "称呼\x00\x1b"
    view = dj_public_forms.form_view({"dj_form": copy.deepcopy(raw)})
    assert "extra" not in view and "onclick" not in view["fields"][1]
    assert view["fields"][1]["label"] == "称呼"  # control characters dropped
    assert view["fields"][1]["required"] is False
    with pytest.raises(dj_public_forms.FormProblem):
        dj_public_forms.form_view({"dj_form": definition(closes_at="明天<script>")})
    with pytest.raises(dj_public_forms.FormProblem):
        bad = definition()
        bad["fields"][8]["min"] = "0; alert(1)"
        dj_public_forms.form_view({"dj_form": bad})
    assert re.match(r"^[a-z0-9_]+$", view["fields"][2]["name"])
