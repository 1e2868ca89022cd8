from rest_framework import mixins, permissions, serializers, viewsets

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


class SiteBuildViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Build history of the public site: lets editors and monitoring see failures."""

    queryset = SiteBuild.objects.all()
    serializer_class = SiteBuildSerializer
    permission_classes = [IsEditorialStaff]
