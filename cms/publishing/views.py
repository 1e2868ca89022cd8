import errno
import os
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.gzip import gzip_page
from django.views.static import serve

NOT_BUILT_YET = """<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>网站尚未发布</title>
<body style="font-family: system-ui, sans-serif; padding: 2rem; line-height: 1.7">
<h1>网站尚未发布</h1><p>公开网站还没有构建完成。请在 <a href="/admin/">管理后台</a> 发布内容，稍候刷新本页。</p>
</body></html>"""

#: What the file system answers for a path that names nothing in the release: a segment
#: or a whole path too long for it, a file used as a directory, a file gone with a pruned
#: release. Each is the site's 404; any other error is a real fault.
NO_SUCH_FILE = {errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP}
#: Files a release holds for the build and the admin, not for visitors (dot-directories
#: such as .build-state/ are refused as well).
BUILD_RECORDS = {"release.json"}


def _names_a_file_in_the_release(path: str) -> bool:
    """Whether `path` (the URL path without its leading slash) can only name something
    inside the release: no NUL byte, no empty, `.` or `..` segment. `..` is refused even
    where it would stay inside lexically, because the release's directories are symlinks
    into shared objects and the file system resolves `..` through them; an empty first
    segment (`//etc`) would make the path absolute."""
    segments = path.split("/")
    if segments[-1] == "":
        segments.pop()  # a trailing slash: the directory's index.html
    if path in BUILD_RECORDS or any(segment.startswith(".") for segment in segments):
        return False  # the build's own records (.build-state/, release.json) are not the site
    return "\x00" not in path and not any(segment in ("", ".", "..") for segment in segments)


def _not_found(root: Path) -> HttpResponse:
    page = root / "404.html"
    if page.exists():
        return HttpResponse(page.read_bytes(), status=404, content_type="text/html; charset=utf-8")
    raise Http404


@gzip_page  # search shards and pages are text: compress them as nginx does in production
def serve_public_site(request, path):
    """Serve the public site from the release `current` points at.

    The link is resolved once per request, so a switch mid-request cannot mix releases.
    Any path that does not name a file of the release, however malformed, is the release's
    404 page.
    """
    current = Path(settings.SITE_RELEASES_DIR) / "current"
    try:
        root = Path(os.path.realpath(current, strict=True))
    except OSError:
        return HttpResponse(NOT_BUILT_YET, status=503, headers={"Retry-After": "10"})
    if not _names_a_file_in_the_release(path):
        return _not_found(root)
    try:
        if path == "" or path.endswith("/"):
            path += "index.html"
        elif (root / path).is_dir():
            return redirect(quote(f"/{path}/"), permanent=False)
        return serve(request, path, document_root=str(root))
    except Http404:
        pass
    except OSError as error:
        if error.errno not in NO_SUCH_FILE:
            raise
    return _not_found(root)
