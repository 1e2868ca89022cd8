"""What this app adds to the roles (run by ``cms.bootstrap.roles.setup_roles``, idempotent;
the page rights on 测评中心, the private quiz root, are granted there like 学习园地's):

* the question bank and knowledge points for the same roles: 编辑 write, 审核 also publish
  (questions go through 审核发布 as snippets: the workflow is assigned to their content
  type), 管理员 also delete and import;
* the secretaries' report (``assessment.view_branch_assessment``) for 支部书记 and 管理员:
  *whom* it covers is decided by ``accounts.selectors.scope_of`` in every view.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Workflow, WorkflowContentType

from cms.accounts.roles import ADMINISTRATOR, EDITOR, REVIEWER, WORKFLOW_NAME, permission, secretary_group

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


def _perms(pairs) -> list:
    return [permission(app, code) for app, code in pairs]


def setup() -> dict[str, Group]:
    groups = {name: Group.objects.get(name=name) for name in (EDITOR, REVIEWER, ADMINISTRATOR)}
    for name, bank in ((EDITOR, BANK_EDIT), (REVIEWER, BANK_PUBLISH), (ADMINISTRATOR, BANK_ADMIN)):
        groups[name].permissions.add(*_perms(bank))
    secretary_group().permissions.add(*_perms(REPORT))
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is not None:
        WorkflowContentType.objects.update_or_create(
            content_type=ContentType.objects.get_for_model(Question), defaults={"workflow": workflow}
        )
    return {}
