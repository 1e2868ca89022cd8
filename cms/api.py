"""Everything under /api/: the one DRF router, the member session, the OpenAPI schema and
its docs page, and a JSON 404 for unknown paths (which would otherwise reach the public
site's catch-all and answer HTML)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from cms.accounts.api import PasswordView, SessionView
from cms.assessment.api import (
    AttemptViewSet,
    MasteryView,
    NotebookView,
    PracticeView,
    QuizViewSet,
    RankingView,
)
from cms.consultations.api import AskOptionsView, ConsultationViewSet
from cms.core.api import api_not_found
from cms.delivery.api import EmailPreferenceView
from cms.feedback.api import FormViewSet, PublicSubmissionView
from cms.notifications.api import NoticeViewSet
from cms.publishing.api import HealthView, SiteBuildViewSet
from cms.study.api import CourseViewSet, LessonViewSet, MyProgressView

router = DefaultRouter()
# JSON only: no ".json" twin of every route, which every request would walk past.
router.include_format_suffixes = False
# Every request tries the routes in order: the hottest first (a whole contest saving answers
# and handing in, every open lesson's heartbeat; bench/quiz_load.py).
router.register("member/attempts", AttemptViewSet, basename="member-attempt")
router.register("member/lessons", LessonViewSet, basename="member-lesson")
router.register("member/quizzes", QuizViewSet, basename="member-quiz")
router.register("member/courses", CourseViewSet, basename="member-course")
router.register("member/forms", FormViewSet, basename="member-form")
router.register("member/consultations", ConsultationViewSet, basename="member-consultation")
router.register("member/notices", NoticeViewSet, basename="member-notice")
router.register("site-builds", SiteBuildViewSet, basename="site-build")

urlpatterns = [
    path("member/session/", SessionView.as_view(), name="member-session"),
    path("member/password/", PasswordView.as_view(), name="member-password"),
    path("member/notifications/email/", EmailPreferenceView.as_view(), name="member-email-preference"),
    path("member/progress/", MyProgressView.as_view(), name="member-progress"),
    # Before the router: "options" is not a consultation id.
    path("member/consultations/options/", AskOptionsView.as_view(), name="member-consultation-options"),
    path("member/mastery/", MasteryView.as_view(), name="member-mastery"),
    path("member/notebook/", NotebookView.as_view(), name="member-notebook"),
    path("member/practice/", PracticeView.as_view(), name="member-practice"),
    re_path(r"^member/contests/(?P<id>[0-9]{1,18})/ranking/$", RankingView.as_view(), name="member-contest-ranking"),
    path("health/", HealthView.as_view(), name="health"),
    re_path(
        r"^forms/(?P<id>[0-9]{1,18})/submissions/$", PublicSubmissionView.as_view(), name="public-form-submissions"
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Split: the page loads its script from a URL of its own (no inline script, see the CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    *router.urls,
    re_path(r"^.*$", api_not_found),
]
