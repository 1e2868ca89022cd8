from django.template.response import TemplateResponse

from . import selectors


def build_list(request):
    return TemplateResponse(request, "publishing/build_list.html", {
        "builds": selectors.recent_builds(50),
        "latest_failure": selectors.unresolved_failure(),
        "page_title": "网站发布记录",
    })
