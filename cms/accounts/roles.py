"""The names of the editorial roles (Django groups) and the 支部书记 group this app keeps in step.

A leaf module: it imports no other app, so every app may use the names. The roles themselves
(their page permissions, the 审核发布 workflow across the apps' trees) are set up by
``cms.bootstrap.roles.setup_roles`` (``manage.py setup_roles``), which depends on the apps,
never the reverse.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

EDITOR = "编辑"
REVIEWER = "审核"
ADMINISTRATOR = "管理员"
WORKFLOW_NAME = "审核发布"
APPROVAL_TASK_NAME = "审核"
BRANCH_EDITOR_PREFIX = "编辑·"
#: Derived group: its members are exactly the serving branch secretaries (``services.sync_secretary_group``).
SECRETARY = "支部书记"
#: Staff who answer consultations addressed to the committee office (cms/consultations).
ANSWERER = "答复"

#: What a branch secretary may do; *whom* it applies to (their unit and below) is decided by
#: ``accounts.selectors.scope_of`` in every view, not by these permissions.
SECRETARY_PERMS = [
    ("wagtailadmin", "access_admin"),
    ("study", "view_branch_progress"),
    ("feedback", "view_form_results"),
    ("accounts", "view_membership"),
    ("accounts", "change_membership"),
]


def permission(app_label: str, codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def secretary_group() -> Group:
    """The 支部书记 group with its permissions (created on first use)."""
    group, _ = Group.objects.get_or_create(name=SECRETARY)
    group.permissions.add(*[permission(app, code) for app, code in SECRETARY_PERMS])
    return group


def branch_editor_group_name(organisation) -> str:
    return f"{BRANCH_EDITOR_PREFIX}{organisation.name}"
