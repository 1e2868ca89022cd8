"""常见问题 from a consultation: only answered items whose asker agreed, only as a draft, and
never submitted or published before the editor ticked 已去除个人信息."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.consultations import services
from cms.consultations.models import FaqPage
from tests.factories import SectionPageFactory

from .conftest import client_for


@pytest.fixture
def faq_section(home):
    return SectionPageFactory(parent=home, title="常见问题", slug="faq")


@pytest.fixture
def answered(people, ask):
    item = ask(public_consent=True, text="我是赵提问，想转组织关系。")
    services.answer(people.secretary, item, "请到支部开介绍信。")
    return item


def test_the_draft_is_prefilled_and_not_live(people, answered, faq_section):
    page = services.make_faq_draft(people.admin, answered, faq_section)
    assert not page.live and page.source_consultation == answered
    assert page.question == "我是赵提问，想转组织关系。"
    assert "请到支部开介绍信。" in str(page.body)
    assert page.personal_data_removed is False


def test_no_consent_no_faq(people, ask, faq_section):
    item = ask(public_consent=False)
    services.answer(people.secretary, item, "答")
    with pytest.raises(ValidationError, match="没有同意公开"):
        services.make_faq_draft(people.admin, item, faq_section)


def test_unanswered_items_cannot_become_faq(people, ask, faq_section):
    with pytest.raises(ValidationError, match="答复后"):
        services.make_faq_draft(people.admin, ask(public_consent=True), faq_section)


def test_only_someone_who_may_add_pages_there_makes_the_draft(people, answered, faq_section):
    # The secretary reads the item but has no page permissions on the public site.
    assert services.faq_sections_for(people.secretary) == []
    with pytest.raises(PermissionDenied):
        services.make_faq_draft(people.secretary, answered, faq_section)
    with pytest.raises(PermissionDenied):
        services.make_faq_draft(people.other_secretary, answered, faq_section)


def test_the_admin_button_makes_the_draft_and_opens_the_editor(people, answered, faq_section):
    client = client_for(people.admin)
    detail = client.get(f"/admin/consultations/{answered.pk}/").content.decode()
    assert "转为常见问题草稿" in detail
    response = client.post(f"/admin/consultations/{answered.pk}/faq/", {"section": str(faq_section.pk)})
    page = FaqPage.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/pages/{page.pk}/edit/"


def _edit_data(page=None, **overrides):
    data = {
        "title": "如何转接组织关系",
        "slug": page.slug if page is not None else "transfer",
        "question": "如何转接组织关系？",
        "body": streamfield([("paragraph", rich_text("<p>请向支部申请。</p>"))]),
        "date": "2026-12-01",
        "summary": "",
        "tags": "",
        "issuing_unit": "",
    }
    data.update(overrides)
    return nested_form_data(data)


def test_submitting_for_approval_needs_the_tick(people, answered, faq_section, editor):
    page = services.make_faq_draft(people.admin, answered, faq_section)
    client = client_for(editor)
    refused = client.post(f"/admin/pages/{page.pk}/edit/", {**_edit_data(page), "action-submit": "1"})
    assert refused.status_code == 200
    assert "提交审核或发布前，请改写问题和答复、去除个人信息" in refused.content.decode()
    assert not WorkflowState.objects.filter(object_id=str(page.pk)).exists()

    saved = client.post(f"/admin/pages/{page.pk}/edit/", _edit_data(page))  # a draft may be saved
    assert saved.status_code == 302

    accepted = client.post(
        f"/admin/pages/{page.pk}/edit/", {**_edit_data(page, personal_data_removed="on"), "action-submit": "1"}
    )
    assert accepted.status_code == 302
    assert WorkflowState.objects.get(object_id=str(page.pk)).status == WorkflowState.STATUS_IN_PROGRESS


def test_publishing_is_refused_while_the_askers_details_remain(people, answered, faq_section):
    page = services.make_faq_draft(people.admin, answered, faq_section)
    page.personal_data_removed = True
    with pytest.raises(ValidationError) as error:
        page.save_revision().publish()
    assert "姓名" in str(error.value) and "所在支部" not in str(error.value)
    page.refresh_from_db()
    page.question = "如何转接组织关系？"
    page.personal_data_removed = False
    with pytest.raises(ValidationError, match="已去除个人信息"):
        page.save_revision().publish()
    page.personal_data_removed = True
    page.save_revision().publish()
    page.refresh_from_db()
    assert page.live


def test_a_page_added_in_the_editor_may_be_saved_as_a_draft(people, faq_section, editor):
    # On the add screen the new page is ``live`` (the model's default) until the view decides,
    # so the publishing rules must not refuse a plain draft there.
    client = client_for(editor)
    add = f"/admin/pages/add/consultations/faqpage/{faq_section.pk}/"
    refused = client.post(add, {**_edit_data(), "action-submit": "1"})
    assert refused.status_code == 200
    assert "提交审核或发布前，请改写问题和答复、去除个人信息" in refused.content.decode()
    assert not FaqPage.objects.exists()

    draft = client.post(add, _edit_data())
    assert draft.status_code == 302, draft.context["form"].errors
    page = FaqPage.objects.get()
    assert not page.live and not page.personal_data_removed

    published = client_for(people.admin).post(
        f"/admin/pages/{page.pk}/edit/", {**_edit_data(page, personal_data_removed="on"), "action-publish": "1"}
    )
    assert published.status_code == 302
    assert FaqPage.objects.get().live
