"""Keeps the derived 支部书记 group in step with member records (see services.sync_secretary_group).

A signal rather than explicit calls because records are written in several places (import,
admin forms, change_status, the shell): none of them can forget it. ``QuerySet.update`` skips
signals; ``setup_roles`` repairs the group after such writes.
"""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import otp, services
from .models import Membership


@receiver(post_save, sender=Membership, dispatch_uid="accounts_membership_secretary_group")
def membership_saved(sender, instance, raw=False, **kwargs):
    if raw:  # fixtures: the group rows come with the fixture
        return
    services.sync_secretary_group(instance)


@receiver(post_delete, sender=Membership, dispatch_uid="accounts_membership_deleted_secretary_group")
def membership_deleted(sender, instance, **kwargs):
    services.sync_secretary_group(instance, deleted=True)


# Marks a staff member's session at log-in, so the second-factor check looks up devices for
# staff sessions only (otp.SecondFactorMiddleware).
user_logged_in.connect(otp.note_staff_session, dispatch_uid="accounts_note_staff_session")
