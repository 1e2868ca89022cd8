"""Editorial roles across the apps: groups, their permissions and the approval workflow, set up
idempotently (``manage.py setup_roles``; ``load_demo`` and ``make run`` run it too).

The role names live in ``cms.accounts.roles`` (a leaf every app may import); this module knows
the apps' trees (home, 学习园地, 问卷中心, the branches' sections) and so sits above them: it
imports the apps, no app imports it. An app with groups of its own sets them up itself
(``cms.consultations.roles.setup``) and is called from here.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from cms.accounts.roles import (
    ADMINISTRATOR,
    APPROVAL_TASK_NAME,
    EDITOR,
    REVIEWER,
    SECRETARY,
    WORKFLOW_NAME,
    branch_editor_group_name,
    permission,
    secretary_group,
)
from cms.accounts.services import sync_all_secretary_groups
from cms.assessment.roles import setup as setup_assessment_roles
from cms.assessment.services import ensure_quiz_root
from cms.consultations.roles import setup as setup_consultation_roles
from cms.delivery.roles import setup as setup_delivery_roles
from cms.feedback.services import ensure_forms_root
from cms.openness.models import SectionPage
from cms.study.services import ensure_study_root

MEDIA_EDIT = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
]
MEDIA_DELETE = [("wagtailimages", "delete_image"), ("wagtaildocs", "delete_document")]
PAGE_EDIT = ["add_page", "change_page"]
PAGE_PUBLISH = PAGE_EDIT + ["publish_page"]
PAGE_ADMIN = PAGE_PUBLISH + ["bulk_delete_page", "lock_page", "unlock_page"]
ADMIN_MODEL_PERMS = [
    ("core", "change_sitesettings"),
    ("accounts", "add_organisationunit"),
    ("accounts", "change_organisationunit"),
    ("accounts", "delete_organisationunit"),
    ("accounts", "view_organisationunit"),
    ("openness", "add_opennesscategory"),
    ("openness", "change_opennesscategory"),
    ("openness", "delete_opennesscategory"),
    ("openness", "view_opennesscategory"),
    ("accounts", "add_user"),
    ("accounts", "change_user"),
    ("accounts", "view_user"),
    ("accounts", "view_membership"),
    ("accounts", "change_membership"),
    ("accounts", "import_people"),
    ("auth", "view_group"),
    ("publishing", "rollback_site"),
    ("study", "view_branch_progress"),
    ("feedback", "view_form_results"),
]


def _grant_pages(group: Group, page: Page, codenames: list[str]) -> None:
    for codename in codenames:
        GroupPagePermission.objects.get_or_create(
            group=group, page=page, permission=permission("wagtailcore", codename)
        )


def _grant_media(group: Group, perms) -> None:
    root = Collection.get_first_root_node()
    for app_label, codename in perms:
        GroupCollectionPermission.objects.get_or_create(
            group=group, collection=root, permission=permission(app_label, codename)
        )


def _editorial_group(name: str) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.add(permission("wagtailadmin", "access_admin"))
    _grant_media(group, MEDIA_EDIT)
    return group


def site_home() -> Page:
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    return site.root_page if site else Page.get_first_root_node()


@transaction.atomic
def setup_roles() -> dict[str, Group]:
    """Create or repair the roles; safe to run any number of times."""
    home = site_home()
    editor = _editorial_group(EDITOR)
    _grant_pages(editor, home, PAGE_EDIT)

    reviewer = _editorial_group(REVIEWER)
    _grant_pages(reviewer, home, PAGE_PUBLISH)

    admin = _editorial_group(ADMINISTRATOR)
    _grant_pages(admin, home, PAGE_ADMIN)
    _grant_media(admin, MEDIA_DELETE)
    admin.permissions.add(*[permission(app, code) for app, code in ADMIN_MODEL_PERMS])

    # Study material (学习园地), member forms (问卷中心) and quizzes (测评中心) are edited by the
    # same roles under the same approval, each in its own private tree.
    private_roots = [ensure_study_root(), ensure_forms_root(), ensure_quiz_root()]
    for root in private_roots:
        _grant_pages(editor, root, PAGE_EDIT)
        _grant_pages(reviewer, root, PAGE_PUBLISH)
        _grant_pages(admin, root, PAGE_ADMIN)

    _setup_workflow([home, *private_roots], reviewer)
    branch_groups = setup_branch_editor_groups()

    secretary = secretary_group()
    # Repairs memberships written behind the signal's back (QuerySet.update, raw SQL, data
    # from before the group existed).
    sync_all_secretary_groups()
    # 答复 (committee-office answerers) and the derived 组织委员 group (cms/consultations/roles.py).
    consultation_groups = setup_consultation_roles()
    setup_assessment_roles()  # the 题库 rights and workflow, 测评统计 (cms/assessment/roles.py)
    delivery_groups = setup_delivery_roles()  # 推送管理: the office staff who manage push channels
    return {
        EDITOR: editor,
        REVIEWER: reviewer,
        ADMINISTRATOR: admin,
        SECRETARY: secretary,
        **branch_groups,
        **consultation_groups,
        **delivery_groups,
    }


def _setup_workflow(roots: list[Page], reviewer: Group) -> Workflow:
    # Wagtail's migration-created English "Moderators approval" workflow is replaced by ours.
    Workflow.objects.filter(name="Moderators approval").update(active=False)
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    if not workflow.active:
        workflow.active = True
        workflow.save(update_fields=["active"])
    task = GroupApprovalTask.objects.filter(name=APPROVAL_TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=APPROVAL_TASK_NAME)
    task.groups.add(reviewer)
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task.task_ptr, defaults={"sort_order": 0})
    for root in roots:
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    return workflow


def setup_branch_editor_groups() -> dict[str, Group]:
    """One group per section owned by an organisation: its editors may add and edit pages in
    that section only (drafts go through the same 审核发布 workflow)."""
    groups = {}
    for section in SectionPage.objects.filter(organisation__isnull=False).select_related("organisation"):
        group = _editorial_group(branch_editor_group_name(section.organisation))
        _grant_pages(group, section, PAGE_EDIT)
        groups[group.name] = group
    return groups
