import os
from pathlib import Path

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


@gzip_page  # search shards and pages are text: compress them as nginx does in production
def serve_public_site(request, path):
    """Serve the public site from the release `current` points at.

    The link is resolved once per request, so a switch mid-request cannot mix releases.
    """
    current = Path(settings.SITE_RELEASES_DIR) / "current"
    try:
        root = Path(os.path.realpath(current, strict=True))
    except OSError:
        return HttpResponse(NOT_BUILT_YET, status=503, headers={"Retry-After": "10"})
    target = root / path
    if path == "" or path.endswith("/") or target.is_dir():
        if target.is_dir() and path and not path.endswith("/"):
            return redirect(f"/{path}/", permanent=False)
        path = path + "index.html"
    try:
        response = serve(request, path, document_root=str(root))
    except Http404:
        not_found = root / "404.html"
        if not_found.exists():
            return HttpResponse(not_found.read_bytes(), status=404, content_type="text/html; charset=utf-8")
        raise
    return response
