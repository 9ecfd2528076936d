import factory

from agencies.models import Agency, AgencyType, LocalArea, User
from agencies.roles import Role


class LocalAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalArea
        django_get_or_create = ("name",)

    name = "Northwold"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    area = factory.SubFactory(LocalAreaFactory)
    name = factory.Sequence(lambda n: f"Agency {n}")
    agency_type = AgencyType.SCHOOL


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"practitioner{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    agency = factory.SubFactory(AgencyFactory)
    role = Role.LEAD_PRACTITIONER
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
