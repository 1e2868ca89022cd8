"""The product's URLs plus ``/api/bench/ping/``: the floor of bench/quiz_load.py.

The issue asks for "a trivial Django view measured on the same server in the same run as
the floor". The ping is that view: a DRF APIView with the member API's own authentication
and permission (the REST_FRAMEWORK defaults: session authentication, IsAuthenticated, which
every member endpoint uses), so it passes the same middleware, reads the same session and
user rows and renders JSON the same way, and does nothing else. What the hot endpoints cost
beyond it is their own work. Served only by the benchmark's installation
(bench/settings_quiz_load.py)."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from cms import urls as product_urls
from cms.urls import handler400, handler403, handler404, handler500  # noqa: F401 (looked up on ROOT_URLCONF)

PING_PATH = "api/bench/ping/"


class PingView(APIView):
    # Only the defaults: whatever the member API authenticates and permits with, this does.

    def get(self, request):
        return Response({"ok": True})


# First: the product's last patterns answer every path (the JSON 404 under /api/, the site).
urlpatterns = [path(PING_PATH, PingView.as_view(), name="bench-ping"), *product_urls.urlpatterns]
