"""The static site's part: the 我的咨询 shells load their script and hold nothing private, the
tab is in the member navigation, the help chapter is built with its pictures, and a 常见问题
page is exported as a `faq` article."""

from cms.consultations import services
from tests.factories import FaqPageFactory, SectionPageFactory


def test_shells_tab_help_and_faq_page(home, people, ask, publish, public_site, site_paths):
    item = ask(subject="SHELLSECRET主题", text="SHELLSECRET内容")
    services.answer(people.secretary, item, "SHELLSECRET答复")
    faq = SectionPageFactory(parent=home, title="常见问题", slug="faq")
    FaqPageFactory(parent=faq, title="怎样转接组织关系", slug="transfer", question="调动时如何转接组织关系？")
    publish()

    shell = public_site.text("member/consultations/index.html")
    assert 'data-view="consultations"' in shell and "assets/javascripts/dj-consultations.js" in shell
    assert 'data-dj-nav-view="consultations"' in shell and "我的咨询" in shell
    detail = public_site.text("member/consultation/index.html")
    assert 'data-view="consultation"' in detail and "dj-consultations.js" in detail
    assert public_site.exists("assets/javascripts/dj-consultations.js")

    chapter = public_site.text("help/consultations/index.html")
    assert "咨询与意见建议" in chapter and "images/c1-ask-form.png" in chapter
    assert public_site.exists("help/images/c1-ask-form.png")

    page = (site_paths["CONTENT_DIR"] / "faq" / "transfer.md").read_text(encoding="utf-8")
    assert "type: faq" in page and "type_label: 常见问题" in page and "调动时如何转接组织关系？" in page
    assert "调动时如何转接组织关系？" in public_site.text("faq/transfer/index.html")
    assert "SHELLSECRET" not in public_site.all_text()
