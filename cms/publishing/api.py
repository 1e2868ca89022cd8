from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.core.api import ErrorSerializer

from . import selectors
from .models import SiteBuild


class SiteBuildSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = SiteBuild
        fields = ["id", "started_at", "finished_at", "status", "status_label", "commit", "release", "changes", "error"]


class IsEditorialStaff(permissions.BasePermission):
    message = "只有后台编辑人员可以查看网站构建记录。"

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("wagtailadmin.access_admin"))


NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description="未登录（code = not_authenticated）。")
NOT_EDITORIAL = OpenApiResponse(ErrorSerializer, description=f"{IsEditorialStaff.message}（code = permission_denied）")
BUILD_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="没有这条构建记录（code = not_found）。")


@extend_schema_view(
    list=extend_schema(
        summary="网站构建记录",
        responses={200: SiteBuildSerializer(many=True), 401: NOT_AUTHENTICATED, 403: NOT_EDITORIAL},
    ),
    retrieve=extend_schema(
        summary="一次网站构建",
        responses={200: SiteBuildSerializer, 401: NOT_AUTHENTICATED, 403: NOT_EDITORIAL, 404: BUILD_NOT_FOUND},
    ),
)
class SiteBuildViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Build history of the public site: lets editors and monitoring see failures."""

    queryset = SiteBuild.objects.all()
    serializer_class = SiteBuildSerializer
    permission_classes = [IsEditorialStaff]


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded"])
    workers_alive = serializers.IntegerField(help_text="正在运行的后台任务进程数")
    worker_last_seen = serializers.DateTimeField(allow_null=True)
    tasks_waiting = serializers.IntegerField()
    oldest_waiting_seconds = serializers.IntegerField(allow_null=True)
    last_successful_build = serializers.DateTimeField(allow_null=True)
    problems = serializers.ListField(child=serializers.CharField(), help_text="简体中文说明")


class HealthView(APIView):
    """For monitoring and load balancers: 200 when the app, its database and a worker are
    fine, 503 with the problems otherwise. No personal data, so no log-in."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(summary="运行状态", responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request):
        state = selectors.health()
        data = HealthSerializer({**vars(state), "status": "ok" if state.ok else "degraded"}).data
        return Response(data, status=200 if state.ok else 503)
