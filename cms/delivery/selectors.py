"""Reads of the delivery app: who may see and manage which channels and log entries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from cms.accounts.selectors import group_names, is_administrator, scope_of

from .models import Channel, Delivery
from .roles import CHANNEL_MANAGER


@dataclass(frozen=True)
class Access:
    manage: bool  # create, edit, test every channel; the whole log, email included
    unit_ids: frozenset[int] | None  # what a viewer sees: None everything, else these units' channels

    @property
    def none(self) -> bool:
        return not self.manage and not self.unit_ids


def access_of(user) -> Access:
    """管理员 and 推送管理 manage everything; a serving 支部书记 sees their units' channels
    and their log (read-only); nobody else sees anything."""
    if not (user.is_authenticated and user.is_active):
        return Access(False, frozenset())
    if is_administrator(user) or CHANNEL_MANAGER in group_names(user):
        return Access(True, None)
    scope = scope_of(user)
    if scope.everything:
        return Access(False, None)
    return Access(False, scope.unit_ids)


def visible_channels(access: Access) -> QuerySet[Channel]:
    channels = Channel.objects.select_related("unit")
    if access.unit_ids is None:
        return channels
    return channels.filter(unit_id__in=access.unit_ids)


def visible_deliveries(access: Access) -> QuerySet[Delivery]:
    deliveries = Delivery.objects.select_related("channel")
    if access.unit_ids is None:
        return deliveries
    return deliveries.filter(channel__unit_id__in=access.unit_ids)


def filtered_deliveries(deliveries, *, channel=None, status="", event="", date_from=None, date_to=None):
    if channel == "email":
        deliveries = deliveries.filter(channel__isnull=True).exclude(email="")
    elif channel:
        deliveries = deliveries.filter(channel_id=channel)
    if status:
        deliveries = deliveries.filter(status=status)
    if event:
        deliveries = deliveries.filter(event=event)
    if date_from:
        deliveries = deliveries.filter(created_at__date__gte=date_from)
    if date_to:
        deliveries = deliveries.filter(created_at__date__lte=date_to)
    return deliveries
