"""The only ways to image and document files: ``/media/images/<rendition file>``,
``/media/original_images/<upload file>`` and ``/documents/<id>/<name>``, each after the one
access rule of ``cms.media.selectors``. Mounted in every environment (cms/urls.py); in
production nginx proxies these paths here and sends the bytes itself when told to
(``cms.media.sendfile``, ``PRIVATE_MEDIA_ACCEL_PREFIX``)."""

import os

from django.http import Http404
from django.views.decorators.http import etag, require_safe
from wagtail.documents import get_document_model
from wagtail.documents.views.serve import serve as wagtail_serve_document
from wagtail.images import get_image_model
from wagtail.utils.sendfile import sendfile
from wagtail.wagtail_hooks import require_wagtail_login

from .selectors import Access, file_access

#: The folders Wagtail's image model writes to (get_upload_to of images and renditions).
IMAGE_FOLDERS = {"original_images", "images"}


def _refuse(request, access: Access):
    """Anonymous visitors log in first; to anyone else the file does not exist."""
    if access is Access.LOG_IN:
        # The member log-in of the static site, which comes back here afterwards
        # (WAGTAIL_FRONTEND_LOGIN_URL, as for documents).
        return require_wagtail_login(next=request.get_full_path())
    raise Http404("文件不存在。")


def _finish(response, access: Access):
    """Headers every file answer gets, whoever sent the bytes."""
    if response.status_code in (200, 304):
        # A restricted file must not stay in a shared computer's browser cache or a proxy;
        # a public one may be kept but is checked again (it may become restricted).
        response["Cache-Control"] = "no-cache" if access is Access.PUBLIC else "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    if response.get("Content-Encoding") == "None":
        del response["Content-Encoding"]  # wagtail.utils.sendfile writes a missing encoding as "None"
    if "X-Accel-Redirect" in response:
        # The file's size would describe a body this answer does not have; nginx sends the
        # file with its own length.
        del response["Content-Length"]
    return response


def _image_file(folder: str, name: str):
    """The image or rendition whose stored file is ``<folder>/<name>`` (one path segment, as
    stored by Wagtail), with its image; (None, None) for anything else. The URL is never
    turned into a file system path: the file comes from the database row it matches."""
    if folder not in IMAGE_FOLDERS or not name or name.startswith(".") or "\x00" in name or "/" in name:
        return None, None
    Image = get_image_model()
    stored = f"{folder}/{name}"
    if folder == "original_images":
        image = Image.objects.select_related("collection").filter(file=stored).first()
        return image, image
    rendition = Image.get_rendition_model().objects.select_related("image__collection").filter(file=stored).first()
    return (rendition, rendition.image) if rendition else (None, None)


def _file_etag(path) -> str | None:
    """Changes whenever the file does (a replaced image keeps its name but not its size and
    time); images made outside the admin's forms have no file_hash to use instead."""
    try:
        stat = os.stat(path)
    except OSError:
        return None  # sendfile answers 404
    return f"{stat.st_size:x}-{stat.st_mtime_ns:x}"


@require_safe
def serve_image(request, folder, name):
    """An original image or a rendition, for whoever may see the image."""
    file_object, image = _image_file(folder, name)
    if file_object is None:
        raise Http404("文件不存在。")
    access = file_access(request, image)
    if access not in (Access.PUBLIC, Access.ALLOWED):
        return _refuse(request, access)  # a password restriction has no form for images: 404

    @etag(lambda request: _file_etag(file_object.file.path))
    def send(request):
        response = sendfile(request, file_object.file.path, attachment=False)
        # Image files render nothing active; a stray SVG or HTML must not run either.
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    return _finish(send(request), access)


@require_safe
def serve_document(request, document_id, document_filename):
    """Wagtail's document view (collection restriction, password form, the document_served
    signal, sendfile), after the audience rule; mounted in front of it on the same URL."""
    document = get_document_model().objects.select_related("collection").filter(pk=document_id).first()
    if document is None or document.filename != document_filename:
        raise Http404("文件不存在。")
    access = file_access(request, document)
    if access in (Access.LOG_IN, Access.NOT_FOUND):
        return _refuse(request, access)
    return _finish(wagtail_serve_document(request, document_id, document_filename), access)
