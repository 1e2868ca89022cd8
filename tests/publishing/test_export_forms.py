"""Public feedback forms through the exporter and the site build.

A FeedbackFormPage under a section of the public site is exported like an article, with its
published definition (``cms.feedback.selectors.form_definition``) in ``dj_form``; member forms
(under 问卷中心, outside the site), restricted and unpublished forms are not. Hostile labels,
help texts, choices, intro and thank-you text arrive in the built page as text.
"""

import yaml
from bs4 import BeautifulSoup
from wagtail.models import PageViewRestriction

from cms.feedback.selectors import form_definition
from cms.publishing.exporter import Exporter
from tests.factories import FeedbackFormFactory, OrganisationUnitFactory, SectionPageFactory
from tests.hostile import PAYLOADS, marker, shown, storable, unsafe_markup

STORABLE = [storable(p) for p in PAYLOADS]

PUBLIC_FIELDS = [
    {
        "label": "留言类别",
        "field_type": "radio",
        "choices": "意见建议\n咨询",
        "required": True,
        "help_text": "请选择一项。",
    },
    {"label": "留言内容", "field_type": "multiline", "required": True},
    {"label": "满意度", "field_type": "rating", "required": False},
    {"label": "年龄", "field_type": "number", "required": False, "min_value": 0, "max_value": 120},
]


def _read(path):
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def test_public_form_is_exported_with_its_definition(home, site_paths):
    section = SectionPageFactory(parent=home, slug="interaction", title="互动交流")
    form = FeedbackFormFactory(
        parent=section,
        slug="voice",
        title="群众心声",
        kind="message",
        intro="欢迎留言。\n我们认真阅读。",
        thank_you_text="谢谢！",
        fields=PUBLIC_FIELDS,
    )

    Exporter().sync(None)

    meta, body = _read(site_paths["CONTENT_DIR"] / "interaction" / "voice.md")
    assert meta["type"] == "form" and meta["type_label"] == "群众心声"
    assert meta["title"] == "群众心声" and meta["page_id"] == form.pk
    assert meta["canonical_url"].endswith("/interaction/voice/")
    dj_form = meta["dj_form"]
    assert dj_form["id"] == form.pk and dj_form["kind_label"] == "群众心声"
    assert dj_form["thank_you_text"] == "谢谢！" and dj_form["closes_at"] is None
    # The same definition the API serves, from the one function.
    assert dj_form["fields"] == form_definition(form)
    assert [f["label"] for f in dj_form["fields"]] == ["留言类别", "留言内容", "满意度", "年龄"]
    assert dj_form["fields"][0]["choices"] == ["意见建议", "咨询"]
    assert "欢迎留言。" in body


def test_member_restricted_and_unpublished_forms_stay_out_of_content(home, site_paths):
    section = SectionPageFactory(parent=home, slug="interaction", title="互动交流")
    member_form = FeedbackFormFactory(
        slug="member-only", title="支部内部问卷标记MEMBERFORM", audience_units=[OrganisationUnitFactory()]
    )
    restricted = SectionPageFactory(parent=home, slug="internal", title="内部")
    PageViewRestriction.objects.create(page=restricted, restriction_type=PageViewRestriction.LOGIN)
    FeedbackFormFactory(parent=restricted, slug="hidden", title="受限问卷标记RESTRICTEDFORM")
    draft = FeedbackFormFactory(parent=section, slug="draft", title="未发布问卷标记DRAFTFORM", publish=False)
    live = FeedbackFormFactory(parent=section, slug="voice", title="群众心声", fields=PUBLIC_FIELDS)

    exporter = Exporter()
    exporter.sync(None)
    content = site_paths["CONTENT_DIR"]
    texts = "\n".join(p.read_text(encoding="utf-8") for p in content.rglob("*.md"))
    assert "MEMBERFORM" not in texts and "RESTRICTEDFORM" not in texts and "DRAFTFORM" not in texts
    assert member_form.pk and draft.pk
    assert (content / "interaction" / "voice.md").exists()

    # Unpublishing takes it off the site.
    live.unpublish()
    exporter.sync({live.pk})
    assert not (content / "interaction" / "voice.md").exists()


def test_hostile_form_texts_reach_the_built_page_as_text(home, site_paths, publish, public_site):
    section = SectionPageFactory(parent=home, slug="interaction", title="互动交流")
    chosen = STORABLE[:24]  # labels must differ after Wagtail's clean_name; these do
    fields = [
        {
            "label": f"{payload}问题{index}",
            "field_type": ("radio", "checkboxes", "dropdown", "singleline")[index % 4],
            "choices": f"{payload}\n其他",
            "help_text": STORABLE[-1 - index],
            "required": bool(index % 2),
        }
        for index, payload in enumerate(chosen)
    ]
    FeedbackFormFactory(
        parent=section, slug="voice", title="群众心声", intro=STORABLE[0], thank_you_text=STORABLE[1], fields=fields
    )
    publish()

    html = public_site.text("interaction/voice/index.html")
    scripts = {p.name for p in (public_site.root / "assets" / "javascripts").iterdir() if p.suffix == ".js"}
    assert [p for p in unsafe_markup(html, allowed_scripts=scripts, where="voice") if "from content" not in p] == []
    soup = BeautifulSoup(html, "html.parser")
    form = soup.select_one("form#dj-public-form")
    wrappers = form.select("[data-field]")
    assert len(wrappers) == len(chosen)
    for index, (wrapper, payload) in enumerate(zip(wrappers, chosen)):
        label = " ".join(wrapper.select_one("legend, label").get_text().split())
        assert label.startswith(shown(f"{payload}问题{index}")), marker(payload)
        help_text = wrapper.select_one(".dj-forms-help")
        assert " ".join(help_text.get_text().split()) == shown(STORABLE[-1 - index]), marker(payload)
        if index % 4 in (0, 1):
            assert " ".join(wrapper.select_one("input + label").get_text().split()) == shown(payload).strip()
        elif index % 4 == 2:
            assert " ".join(wrapper.select("option")[1].get_text().split()) == shown(payload).strip()
    thanks = soup.select_one("#dj-public-form-thanks").get_text(" ")
    assert shown(STORABLE[1]) in " ".join(thanks.split())
