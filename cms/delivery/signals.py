"""Publishing tells us which changes a successful build made live; we announce new pages."""

from cms.publishing.events import changes_released

from . import services


def on_changes_released(sender, change_ids, **kwargs):
    services.announce_released_pages(change_ids)


changes_released.connect(on_changes_released, dispatch_uid="delivery.announce_released_pages")
