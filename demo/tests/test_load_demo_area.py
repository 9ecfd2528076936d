import pytest
from django.db.models import Count

from agencies.models import Agency, User
from agencies.roles import Role
from cases.models import Case, Child
from demo.area import load_demo_area

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
