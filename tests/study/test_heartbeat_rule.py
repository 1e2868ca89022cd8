"""The heartbeat checks who may study inside its one UPDATE (``services._credit_sql``): that
SQL must admit exactly the people the one access rule (``selectors.may_study``) admits, and
credit them in that one statement; study administrators outside the audience are credited
after the rule is checked in Python."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.accounts.models import MemberStatus
from cms.study import selectors, services
from cms.study.models import LessonProgress
from tests.factories import CourseFactory, LessonFactory, OrganisationUnitFactory, UserFactory
from tests.study.conftest import administrator, member

T0 = timezone.make_aware(datetime.datetime(2026, 5, 4, 9, 0, 0))
LATER = T0 + datetime.timedelta(seconds=30)


def people(org):
    return {
        "full member, first branch": member(org.first),
        "probationary, first branch": member(org.first, MemberStatus.PROBATIONARY),
        "activist, first branch": member(org.first, MemberStatus.ACTIVIST),
        "transferred out, first branch": member(org.first, MemberStatus.TRANSFERRED_OUT),
        "full member, second branch": member(org.second),
        "full member, no unit": member(None),
        "no Party record, first branch": UserFactory(organisation=org.first),
        "deactivated full member": member(org.first, is_active=False),
        "administrator": administrator(),
    }


def lessons(org):
    def lesson(statuses=(), units=(), *, course_live=True, lesson_live=True):
        course = CourseFactory(audience_statuses=list(statuses), audience_units=list(units))
        item = LessonFactory(parent=course)
        if not lesson_live:
            item.unpublish()
        if not course_live:
            course.unpublish()  # its lessons keep their own live flag
        return item

    full, probationary, activist = MemberStatus.FULL, MemberStatus.PROBATIONARY, MemberStatus.ACTIVIST
    return {
        "everyone": lesson(),
        "full members": lesson([full]),
        "probationary and activists": lesson([probationary, activist]),
        "first branch": lesson(units=[org.first]),
        "the committee above it": lesson(units=[org.committee]),
        "general branch or second branch": lesson(units=[org.general, org.second]),
        "full members of the second branch": lesson([full], [org.second]),
        "course unpublished": lesson(course_live=False),
        "lesson unpublished": lesson(lesson_live=False),
    }


def test_the_statement_credits_exactly_whom_the_access_rule_admits(home, org):
    everyone, every_lesson = people(org), lessons(org)
    for lesson in every_lesson.values():
        for user in everyone.values():
            LessonProgress.objects.create(user=user, lesson=lesson, opened_at=T0, last_active_at=T0, credited_until=T0)

    for lesson_name, lesson in every_lesson.items():
        course = lesson.get_parent().specific
        for name, user in everyone.items():
            admitted = lesson.live and selectors.may_study(
                user, selectors.CourseAudience(course.live, course.audience_statuses, _unit_ids(course)), path_ids=None
            )
            with CaptureQueriesContext(connection) as statements:
                try:
                    services.record_study_time(user, lesson.pk, 30, now=LATER)
                    credited = True
                except PermissionDenied:
                    credited = False
            stored = LessonProgress.objects.get(user=user, lesson=lesson)
            case = f"{name} / {lesson_name}"
            assert credited is admitted, case
            assert stored.seconds_spent == (30 if admitted else 0), case
            if admitted and name != "administrator":
                assert len(statements) == 1, case  # admitted by the statement itself


def _unit_ids(course) -> frozenset[int]:
    return frozenset(course.audience_units.values_list("pk", flat=True))


@pytest.mark.parametrize("depth", [1, 6])
def test_a_unit_of_the_course_any_number_of_levels_above_the_person_admits_them(home, org, depth):
    parent = org.first
    for level in range(depth):
        parent = OrganisationUnitFactory(name=f"下级支部{level}", parent=parent)
    person = member(parent)
    lesson = LessonFactory(parent=CourseFactory(audience_units=[org.general]))
    services.open_lesson(person, lesson, now=T0)

    with CaptureQueriesContext(connection) as statements:
        progress = services.record_study_time(person, lesson.pk, 30, now=LATER)

    assert progress.seconds_spent == 30 and len(statements) == 1
