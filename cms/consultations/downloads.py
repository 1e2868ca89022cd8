"""Attachments leave only through here, after the caller's permission check (the asker in
the member API, an answerer in the admin), via cms.media.sendfile (streamed, or handed to
nginx's internal location): never as a URL under /media/."""

from __future__ import annotations

from django.http import Http404
from wagtail.utils.sendfile import sendfile


def send(request, message):
    try:
        path = message.attachment.path
    except (ValueError, NotImplementedError):
        raise Http404("文件不存在。") from None
    # Always a download, never rendered in the browser: an uploaded HTML or SVG cannot run.
    response = sendfile(
        request, path, attachment=True, attachment_filename=message.attachment_name, mimetype="application/octet-stream"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if response.get("Content-Encoding") == "None":
        del response["Content-Encoding"]
    if "X-Accel-Redirect" in response:
        del response["Content-Length"]
    return response
