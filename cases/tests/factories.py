import datetime
from typing import Any

import factory
from django.utils import timezone

from agencies.tests.factories import LocalAreaFactory
from cases.models import Case, Child
from cases.process import engine


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    reference = factory.Sequence(lambda n: f"CH-{n:05d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.LazyFunction(
        lambda: datetime.date.today() - datetime.timedelta(days=13 * 365)
    )
    gender = "girl"
    area = factory.SubFactory(LocalAreaFactory)


def open_case(
    *, version, actor, child=None, involvement="displaying_hsb", received_at=None, **facts
) -> Case:
    """Open a case on a published version the way referral intake does."""
    return engine.open_case(
        child=child or ChildFactory(area=version.pathway.area),
        involvement=involvement,
        version_id=version.pk,
        referral=None,
        referral_received_at=received_at or timezone.now(),
        actor=actor,
        facts=facts,
    )


def referral_payload(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: str,
    gender: str,
    description: str = "Invented referral.",
) -> dict[str, Any]:
    """The JSON body of a referral (POST to api:cases:referral-list) received two hours ago
    by phone: one child displaying HSB, one amber behaviour at school, parents informed."""
    return {
        "received_at": (timezone.now() - datetime.timedelta(hours=2)).isoformat(),
        "source": "2A",
        "channel": "phone",
        "description": description,
        "behaviours": [
            {"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}
        ],
        "children": [
            {
                "involvement": "displaying_hsb",
                "first_name": first_name,
                "last_name": last_name,
                "date_of_birth": date_of_birth,
                "gender": gender,
            }
        ],
        "parents_informed": True,
    }
