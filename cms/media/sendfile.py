"""``SENDFILE_BACKEND`` for ``wagtail.utils.sendfile``: Wagtail's document view and our image
view (``cms.media.views``) both hand files over through it, after their permission check.

With ``PRIVATE_MEDIA_ACCEL_PREFIX`` empty (development, tests, a server without nginx) the file
is streamed by Django (Wagtail's streaming backend, which answers If-Modified-Since). With a
prefix, the answer carries ``X-Accel-Redirect: <prefix><path under MEDIA_ROOT>`` and no body:
nginx sends the file from an ``internal`` location, which no client can request directly
(``docs/operations.md``)."""

from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse
from wagtail.utils import sendfile_streaming_backend


def accel_path(filename) -> str:
    """The internal URI nginx serves ``filename`` from. Only files below MEDIA_ROOT have one:
    nginx is never told to send anything else, whatever path reached this function."""
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        relative = Path(filename).resolve().relative_to(root)
    except ValueError:
        raise Http404("文件不存在。") from None
    # Percent-encoded: a header is Latin-1, and document names may be Chinese. nginx decodes it.
    return settings.PRIVATE_MEDIA_ACCEL_PREFIX.rstrip("/") + "/" + quote(relative.as_posix())


def sendfile(request, filename, **kwargs):
    if not settings.PRIVATE_MEDIA_ACCEL_PREFIX:
        return sendfile_streaming_backend.sendfile(request, filename, **kwargs)
    response = HttpResponse()
    response["X-Accel-Redirect"] = accel_path(filename)
    return response
