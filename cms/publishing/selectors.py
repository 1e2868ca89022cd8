from .models import SiteBuild


def recent_builds(limit: int = 20):
    return list(SiteBuild.objects.all()[:limit])


def unresolved_failure() -> SiteBuild | None:
    """The newest build, if it failed: a later success means the problem is fixed."""
    latest = SiteBuild.objects.exclude(status=SiteBuild.Status.RUNNING).first()
    return latest if latest and latest.status == SiteBuild.Status.FAILED else None
