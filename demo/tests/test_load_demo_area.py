import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, User
from agencies.roles import Role
from audit.models import AuditEvent
from cases.models import Case, Child, StageMove
from cases.process.timers import timer_lag
from cases.selectors import stage_tasks_for
from demo.area import TIMER_DELAY, load_demo_area
from pathways.deadlines import breach_moment

pytestmark = pytest.mark.django_db


def test_the_demo_area_has_every_role_and_forty_children_over_the_stages():
    load_demo_area()

    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert Agency.objects.count() == 10
    assert Child.objects.count() == 40
    stages = dict(
        Case.objects.values_list("current_stage__key")
        .annotate(n=Count("pk"))
        .values_list("current_stage__key", "n")
    )
    assert len(stages) >= 9  # every stage of the default pathway holds a child
    assert all(case.child.reference.startswith("NW-DEMO-") for case in Case.objects.all())


def test_loading_the_demo_twice_does_not_duplicate_anything():
    load_demo_area(referrals=5)
    counts = (
        User.objects.count(),
        Agency.objects.count(),
        Child.objects.count(),
        Case.objects.count(),
    )

    load_demo_area(referrals=5)

    assert (
        User.objects.count(),
        Agency.objects.count(),
        Child.objects.count(),
        Case.objects.count(),
    ) == counts


def test_the_demo_flags_every_stage_past_its_deadline_and_escalates_it_to_the_manager(client):
    result = load_demo_area()

    # Referrals go back months: some stages are past their deadline today (the breach moment
    # is the start of the day after the due date), and some moves were made late.
    past_due = Case.objects.filter(closed_at=None, stage_due_on__lt=timezone.localdate())
    assert past_due.count() >= 3
    assert not past_due.filter(stage_overdue_since=None).exists()
    not_yet_due = Case.objects.filter(stage_due_on__gte=timezone.localdate())
    assert not not_yet_due.exclude(stage_overdue_since=None).exists()
    assert timer_lag() == 0.0
    escalated = AuditEvent.objects.filter(action="case.stage_overdue")
    assert result["overdue_flagged"] == escalated.count()
    # Each stage is flagged at its deadline, as the worker would have: those still overdue,
    # and those left late since.
    assert set(past_due.values_list("pk", flat=True)) <= {
        int(pk) for pk in escalated.values_list("object_id", flat=True)
    }
    for case in past_due:
        assert case.stage_overdue_since == breach_moment(case.stage_due_on) + TIMER_DELAY
    for event in escalated.exclude(
        object_id__in=[str(pk) for pk in past_due.values_list("pk", flat=True)]
    ):
        left_late = StageMove.objects.filter(
            case_id=int(event.object_id), moved_at__gt=event.occurred_at
        )
        assert left_late.exists(), event

    manager = User.objects.get(username="manager")
    inbox = stage_tasks_for(manager)
    assert set(past_due.values_list("pk", flat=True)) <= set(inbox.values_list("pk", flat=True))
    client.force_login(manager)
    page = client.get(reverse("cases:tasks")).content.decode()
    for case in past_due.select_related("child"):
        assert case.child.reference in page


def test_reloading_the_demo_flags_nothing_twice():
    load_demo_area(referrals=8)
    events = AuditEvent.objects.filter(action="case.stage_overdue").count()

    again = load_demo_area(referrals=8)

    assert again["overdue_flagged"] == 0
    assert AuditEvent.objects.filter(action="case.stage_overdue").count() == events
