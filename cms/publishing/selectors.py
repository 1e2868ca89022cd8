from .models import SiteBuild


def recent_builds(limit: int = 20):
    return list(SiteBuild.objects.all()[:limit])


def unresolved_failure() -> SiteBuild | None:
    """The newest build, if it failed: a later success means the problem is fixed (switching
    to a kept release builds nothing, so it does not count as a fix)."""
    latest = (SiteBuild.objects.exclude(status=SiteBuild.Status.RUNNING)
              .exclude(kind=SiteBuild.Kind.SWITCH).first())
    return latest if latest and latest.status == SiteBuild.Status.FAILED else None
