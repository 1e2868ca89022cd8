"""The organisation and people of the study tests (第一党支部 under 机关党总支 under 机关党委,
and 第二党支部), and a few forms."""

import uuid

import pytest

from cms.accounts.models import BranchRole, MemberStatus
from tests.factories import FeedbackFormFactory, SectionPageFactory
from tests.study.conftest import API, administrator, client_for, member, org  # noqa: F401 (fixtures)

FORMS = API + "forms/"

#: One question of every answerable type, named by its label's clean name.
ALL_TYPES = [
    {"label": "姓名", "field_type": "singleline"},
    {"label": "意见", "field_type": "multiline", "required": False},
    {"label": "满意度", "field_type": "radio", "choices": "满意\n一般\n不满意"},
    {"label": "关注领域", "field_type": "checkboxes", "choices": "学习,组织生活,作风建设", "required": False},
    {"label": "所在部门", "field_type": "dropdown", "choices": "机关\n车间", "required": False},
    {"label": "总体评分", "field_type": "rating"},
    {"label": "入党日期", "field_type": "date", "required": False},
    {"label": "年龄", "field_type": "number", "min_value": 0, "max_value": 150, "required": False},
    {"label": "第二部分", "field_type": "section"},
]


def key() -> str:
    return str(uuid.uuid4())


def valid_answers(form) -> dict:
    """Answers that pass for ALL_TYPES, by the form's real field names."""
    names = {field.label: field.clean_name for field in form.form_fields.all()}
    return {names["姓名"]: "张三", names["满意度"]: "满意", names["总体评分"]: 5}


def names_of(form) -> dict:
    return {field.label: field.clean_name for field in form.form_fields.all()}


@pytest.fixture
def people(home, org):
    return {
        "anonymous": None,
        "other_branch": member(org.second, MemberStatus.FULL, username="other"),
        "in_audience": member(org.first, MemberStatus.FULL, username="m1", last_name="张", first_name="三"),
        "other_secretary": member(org.second, MemberStatus.FULL, BranchRole.SECRETARY, username="sec2"),
        "secretary": member(
            org.first, MemberStatus.FULL, BranchRole.SECRETARY, username="sec1", last_name="李", first_name="书记"
        ),
        "admin": administrator(username="admin1"),
    }


@pytest.fixture
def section(home):
    return SectionPageFactory(parent=home, title="群众心声", slug="voice")


@pytest.fixture
def public_form(section):
    return FeedbackFormFactory(
        parent=section,
        title="群众心声留言",
        kind="message",
        fields=[
            {"label": "标题", "field_type": "singleline"},
            {"label": "内容", "field_type": "multiline"},
            {"label": "联系电话", "field_type": "singleline", "required": False},
        ],
    )
