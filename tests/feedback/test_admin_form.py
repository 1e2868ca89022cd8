"""Editors build forms in the CMS; opening one goes through 审核发布; the editor form refuses
what the rules forbid, in Chinese, next to the field."""

import re

import pytest
from django.urls import reverse
from wagtail.models import WorkflowPage
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from cms.accounts.roles import ADMINISTRATOR
from cms.bootstrap.roles import setup_roles
from cms.feedback.models import FeedbackFormPage, FormField
from cms.feedback.services import ensure_forms_root
from tests.factories import PASSWORD, OrganisationUnitFactory, SectionPageFactory, UserFactory


@pytest.fixture
def forms_root(home):
    return ensure_forms_root()


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)


def add_url(parent):
    return reverse("wagtailadmin_pages:add", args=("feedback", "feedbackformpage", parent.pk))


def question(label, field_type="singleline", **extra):
    return {
        "label": label,
        "field_type": field_type,
        "required": "on",
        "help_text": "",
        "choices": "",
        "default_value": "",
        "min_value": "",
        "max_value": "",
        **extra,
    }


def form_data(action, questions, **fields):
    data = nested_form_data(
        {
            "title": "支部工作满意度调查",
            "slug": "satisfaction",
            "intro": "请如实填写。",
            "kind": "satisfaction",
            "thank_you_text": "谢谢。",
            "form_fields": inline_formset(questions),
            action: "1",
        }
    )
    return {**data, **fields}


def errors_in(response) -> str:
    text = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def test_editor_submits_and_reviewer_approval_opens_the_form(client, forms_root, editor, reviewer):
    login(client, editor)
    questions = [question("满意度", "radio", choices="满意\n一般\n不满意"), question("建议", "multiline")]

    response = client.post(add_url(forms_root), form_data("action-submit", questions))

    assert response.status_code == 302, errors_in(response)[:2000]
    page = FeedbackFormPage.objects.get(slug="satisfaction")
    assert not page.live and page.current_workflow_state.workflow.name == "审核发布"
    assert [f.label for f in page.form_fields.all()] == ["满意度", "建议"]
    login(client, reviewer)
    task_state = page.current_workflow_state.current_task_state
    client.post(
        reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk)), {"comment": "同意"}
    )
    page.refresh_from_db()
    assert page.live


def test_editor_cannot_open_a_form_directly(client, forms_root, editor):
    login(client, editor)

    client.post(add_url(forms_root), form_data("action-publish", [question("建议")]))

    assert not FeedbackFormPage.objects.get(slug="satisfaction").live


@pytest.mark.parametrize(
    ("questions", "fields", "message"),
    [
        ([question("建议")], {"anonymous": "on", "allow_change": "on"}, "匿名问卷不能允许修改答案"),
        ([question("满意度", "radio")], {}, "请为“满意度”填写选项（每行一个）。"),
        ([question("年龄", "number", min_value="150", max_value="0")], {}, "最大值不能小于最小值。"),
        ([question("建议", min_value="1")], {}, "最小值和最大值只适用于“数字”题型。"),
        (
            [question("建议")],
            {"opens_at": "2030-07-01 09:00", "closes_at": "2030-06-30 09:00"},
            "截止时间须晚于开始时间。",
        ),
    ],
)
def test_member_form_rules(client, forms_root, editor, questions, fields, message):
    login(client, editor)

    response = client.post(add_url(forms_root), form_data("action-submit", questions, **fields))

    assert response.status_code == 200
    assert message in errors_in(response)
    assert not FeedbackFormPage.objects.exists()


@pytest.mark.parametrize(
    ("questions", "fields", "message"),
    [
        ([question("材料", "file")], {}, "公开问卷不能使用“附件”题型。"),
        ([question("评议", "peer_review")], {}, "公开问卷不能使用“民主评议（本支部党员逐人评议）”题型。"),
        ([question("内容")], {"audience_statuses": ["full"]}, "公开问卷面向所有人，不能设置面向身份。"),
        ([question("内容")], {"allow_change": "on"}, "公开问卷的答卷人无需登录，不能允许修改答案。"),
    ],
)
def test_public_form_rules(client, home, editor, questions, fields, message):
    section = SectionPageFactory(parent=home, title="群众心声", slug="voice")
    login(client, editor)

    response = client.post(add_url(section), form_data("action-submit", questions, **fields))

    assert response.status_code == 200
    assert message in errors_in(response)
    assert not FeedbackFormPage.objects.exists()


def test_a_public_form_with_allowed_questions_is_accepted(client, home, editor):
    section = SectionPageFactory(parent=home, title="群众心声", slug="voice")
    login(client, editor)

    response = client.post(
        add_url(section), form_data("action-submit", [question("内容", "multiline")], kind="message")
    )

    assert response.status_code == 302, errors_in(response)[:2000]
    assert FormField.objects.get().field_type == "multiline"


def test_wagtail_does_not_serve_the_form_itself(forms_root, client):
    from tests.factories import FeedbackFormFactory

    form = FeedbackFormFactory(fields=[{"label": "建议"}])

    assert form.serve_preview is not None and form.preview_modes == []
    with pytest.raises(Exception) as refused:
        form.serve(None)
    assert refused.typename == "Http404"


def test_the_forms_root_is_granted_like_the_study_root(home, forms_root, editor, reviewer):
    branch = OrganisationUnitFactory(name="第一党支部")
    SectionPageFactory(parent=home, slug="branch-1", title="第一党支部", organisation=branch)
    groups = setup_roles()
    branch_editor = UserFactory(groups=[name for name in groups if name.startswith("编辑·")])
    admin = UserFactory(groups=[ADMINISTRATOR])

    assert forms_root.permissions_for_user(editor).can_add_subpage()
    assert not forms_root.permissions_for_user(editor).can_publish_subpage()
    assert forms_root.permissions_for_user(reviewer).can_publish_subpage()
    assert forms_root.permissions_for_user(admin).can_publish_subpage()
    assert not forms_root.permissions_for_user(branch_editor).can_add_subpage()
    assert WorkflowPage.objects.get(page=forms_root).workflow.name == "审核发布"
    # Outside every Site: not under the public home page.
    assert not forms_root.is_descendant_of(home) and forms_root.depth == 2
