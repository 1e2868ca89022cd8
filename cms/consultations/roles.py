"""The groups this app needs (created by ``cms.bootstrap.roles.setup_roles``):

* 答复: staff who read and answer items addressed to the committee office (党委办公室);
  members are added by 管理员 in 设置 › 用户;
* 组织委员: derived from member records (role 组织委员, not 已转出), so they reach the admin
  to answer their branch's items. Nobody edits it by hand: ``setup_roles`` repairs it.
"""

from __future__ import annotations

from django.contrib.auth.models import Group

from cms.accounts.models import BranchRole, MemberStatus, Membership, User
from cms.accounts.roles import ANSWERER, permission

ORGANISATION_MEMBER = "组织委员"


def answerer_group() -> Group:
    group, _ = Group.objects.get_or_create(name=ANSWERER)
    group.permissions.add(permission("wagtailadmin", "access_admin"))
    return group


def organisation_member_group() -> Group:
    group, _ = Group.objects.get_or_create(name=ORGANISATION_MEMBER)
    group.permissions.add(permission("wagtailadmin", "access_admin"))
    return group


def _serving(membership: Membership) -> bool:
    return membership.role == BranchRole.ORGANISATION and membership.status != MemberStatus.TRANSFERRED_OUT


def sync_organisation_member_group(membership: Membership, *, deleted: bool = False) -> None:
    if not deleted and _serving(membership):
        organisation_member_group().user_set.add(membership.user_id)
    else:
        User.groups.through.objects.filter(user_id=membership.user_id, group__name=ORGANISATION_MEMBER).delete()


def sync_all_organisation_member_groups() -> None:
    group = organisation_member_group()
    serving = set(
        Membership.objects.filter(role=BranchRole.ORGANISATION)
        .exclude(status=MemberStatus.TRANSFERRED_OUT)
        .values_list("user_id", flat=True)
    )
    current = set(group.user_set.values_list("pk", flat=True))
    User.groups.through.objects.filter(group=group, user_id__in=current - serving).delete()
    group.user_set.add(*(serving - current))


def setup() -> dict[str, Group]:
    answerer = answerer_group()
    organisation = organisation_member_group()
    sync_all_organisation_member_groups()
    return {ANSWERER: answerer, ORGANISATION_MEMBER: organisation}
