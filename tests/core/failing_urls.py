"""URLconf for tests: the site's own (cms.urls, its error handlers included) plus views that
fail, under /api/ and elsewhere. Django looks the error handlers up on the ROOT_URLCONF."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from cms.urls import handler400, handler403, handler404, handler500  # noqa: F401
from cms.urls import urlpatterns as site_urlpatterns

FAILURES = {
    "bad-request": SuspiciousOperation,
    "forbidden": PermissionDenied,
    "not-found": Http404,
    "bug": RuntimeError,
}


def fail(request, failure):
    raise FAILURES[failure]("test failure")


class BrokenEndpoint(APIView):
    """An API endpoint with a bug."""

    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("test failure")


urlpatterns = [
    path("api/test-failure/endpoint/", BrokenEndpoint.as_view()),
    path("api/test-failure/<str:failure>/", fail),
    path("test-failure/<str:failure>/", fail),
    *site_urlpatterns,
]
