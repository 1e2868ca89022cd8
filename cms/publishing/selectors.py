from .models import SiteBuild


def recent_builds(limit: int = 20):
    return list(SiteBuild.objects.all()[:limit])


def unresolved_failure() -> SiteBuild | None:
    """The newest build, if it failed: a later success means the problem is fixed (switching
    to a kept release builds nothing, so it does not count as a fix; queued or running
    builds have no outcome yet, and an interrupted one says nothing about the content: its
    automatic rebuild does)."""
    latest = (SiteBuild.objects.exclude(status__in=[SiteBuild.Status.QUEUED, SiteBuild.Status.RUNNING,
                                                    SiteBuild.Status.INTERRUPTED])
              .exclude(kind=SiteBuild.Kind.SWITCH)
              # a queued rollback refused before committing anything built nothing either
              .exclude(kind=SiteBuild.Kind.CONTENT_ROLLBACK, commit="").first())
    return latest if latest and latest.status == SiteBuild.Status.FAILED else None
