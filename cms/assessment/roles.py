"""What this app adds to the roles (run by ``cms.accounts.roles.setup_roles``, idempotent):

* 测评中心 (the private quiz root) for 编辑/审核/管理员 like 学习园地, under 审核发布;
* the question bank and knowledge points for the same roles: 编辑 write, 审核 also publish
  (questions go through 审核发布 as snippets: the workflow is assigned to their content
  type), 管理员 also delete and import;
* the secretaries' report (``assessment.view_branch_assessment``) for 支部书记 and 管理员:
  *whom* it covers is decided by ``accounts.selectors.scope_of`` in every view.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Workflow, WorkflowContentType, WorkflowPage

from cms.accounts.roles import (
    ADMINISTRATOR,
    EDITOR,
    PAGE_ADMIN,
    PAGE_EDIT,
    PAGE_PUBLISH,
    REVIEWER,
    WORKFLOW_NAME,
    _grant_pages,
    secretary_group,
)

from .models import Question

BANK_EDIT = [
    ("assessment", "add_question"),
    ("assessment", "change_question"),
    ("assessment", "add_knowledgepoint"),
    ("assessment", "change_knowledgepoint"),
]
BANK_PUBLISH = BANK_EDIT + [("assessment", "publish_question")]
BANK_ADMIN = BANK_PUBLISH + [
    ("assessment", "delete_question"),
    ("assessment", "delete_knowledgepoint"),
    ("assessment", "lock_question"),
    ("assessment", "unlock_question"),
    ("assessment", "view_branch_assessment"),
]
REPORT = [("assessment", "view_branch_assessment")]


def _perms(pairs) -> list[Permission]:
    return [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in pairs]


def setup() -> dict[str, Group]:
    from .services import ensure_quiz_root

    root = ensure_quiz_root()
    groups = {name: Group.objects.get(name=name) for name in (EDITOR, REVIEWER, ADMINISTRATOR)}
    for name, pages, bank in (
        (EDITOR, PAGE_EDIT, BANK_EDIT),
        (REVIEWER, PAGE_PUBLISH, BANK_PUBLISH),
        (ADMINISTRATOR, PAGE_ADMIN, BANK_ADMIN),
    ):
        _grant_pages(groups[name], root, pages)
        groups[name].permissions.add(*_perms(bank))
    secretary_group().permissions.add(*_perms(REPORT))
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is not None:
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
        WorkflowContentType.objects.update_or_create(
            content_type=ContentType.objects.get_for_model(Question), defaults={"workflow": workflow}
        )
    return {}
