"""Admin views of feedback answers. An attachment leaves the server only here, after the
results rule of ``selectors.can_read_file``, through cms/media/sendfile.py."""
from __future__ import annotations

from urllib.parse import quote

from django.http import Http404
from wagtail.utils.sendfile import sendfile

from cms.accounts.selectors import scope_of

from . import selectors
from .models import AnswerFile


def answer_file(request, token):
    stored = AnswerFile.objects.select_related("form", "user").filter(pk=token).first()
    # Missing and not yours look the same: a token guessed or leaked proves nothing.
    if stored is None or not selectors.can_read_file(request.user, stored, scope_of(request.user)):
        raise Http404("文件不存在。")
    response = sendfile(request, stored.file.path, attachment=True, attachment_filename=stored.name)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(stored.name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
