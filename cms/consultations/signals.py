"""Keeps the derived 组织委员 group (admin access, so they can answer their branch's items in
the admin) in step with member records, as accounts does for 支部书记. What a 组织委员 may
read is decided by ``selectors.answer_scope`` from the record, never by the group."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cms.accounts.models import Membership

from . import roles


@receiver(post_save, sender=Membership, dispatch_uid="consultations_membership_committee_member_group")
def membership_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    roles.sync_organisation_member_group(instance)


@receiver(post_delete, sender=Membership, dispatch_uid="consultations_membership_deleted_committee_member_group")
def membership_deleted(sender, instance, **kwargs):
    roles.sync_organisation_member_group(instance, deleted=True)
