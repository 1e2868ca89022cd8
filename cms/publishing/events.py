"""Signals the publishing pipeline sends for other apps (a leaf module: services sends them,
apps connect to them in their ``ready()``; publishing knows none of its listeners)."""

from django.dispatch import Signal

#: A build went live: ``change_ids`` are the ContentChange rows it released (publishes,
#: unpublishes, moves … of pages). Sent after the build's transaction has committed, with
#: ``send_robust``: a listener's failure is logged and never fails or delays the build.
changes_released = Signal()
