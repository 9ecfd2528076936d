import factory
from django_otp.oath import TOTP, hotp

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


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """A confirmed authenticator; codes come from `current_code(device)`."""

    class Meta:
        model = "otp_totp.TOTPDevice"

    user = factory.SubFactory(UserFactory)
    name = "Authenticator app"
    confirmed = True


def current_code(device) -> str:
    return f"{TOTP(device.bin_key).token():06d}"


def wrong_code(device) -> str:
    """Six digits that are none of the codes the device accepts now (a step or two either side)."""
    now = TOTP(device.bin_key).t()
    accepted = {hotp(device.bin_key, now + offset) for offset in range(-2, 3)}
    return next(f"{code:06d}" for code in range(1_000_000) if code not in accepted)
