"""The one DRF router for /api/."""
from rest_framework.routers import DefaultRouter

from cms.publishing.api import SiteBuildViewSet

router = DefaultRouter()
router.register("site-builds", SiteBuildViewSet, basename="site-build")
