"""Account security writes: setting up and removing an authenticator, issuing API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from audit.services import record_event

from .exceptions import SecondFactorNotSetUp, WrongCode
from .models import User
from .security import confirmed_totp_device, second_factor_required, verify_code

AUTHENTICATOR_NAME = "Authenticator app"
WRONG_CODE = "That code is not right, or it has expired. Enter the newest code from your app."


@transaction.atomic
def start_totp_enrolment(*, actor: User) -> TOTPDevice:
    """A fresh unconfirmed authenticator for the actor; any earlier unfinished one is dropped.

    Refused while the actor has a confirmed one: a stolen password must not be enough to add a
    second authenticator (the enrolment page asks for the current code first).
    """
    if confirmed_totp_device(actor) is not None:
        raise WrongCode("Two-step verification is already set up.")
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name=AUTHENTICATOR_NAME, confirmed=False)


def confirm_totp_enrolment(*, device: TOTPDevice, code: str, actor: User) -> TOTPDevice:
    """The first code from the app proves it holds the secret; only then does the device count."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(
            pk=device.pk, user=actor, confirmed=False
        )
        verified = device.verify_token(code)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            record_event(actor=actor, action="account.second_factor_enrolled", target=actor)
            # Tokens issued on the password alone must not outlive the stronger login.
            revoke_api_tokens(user=actor, actor=actor, why="second_factor_enrolled")
    # Raised only after the block commits: a rollback would undo django-otp's throttling count.
    if not verified:
        raise WrongCode(WRONG_CODE, fields={"otp_token": [WRONG_CODE]})
    return device


def remove_totp_device(*, code: str, actor: User) -> None:
    """Removing the authenticator takes its current code, so a borrowed session cannot."""
    # verify_code commits its own transaction, so a wrong code's throttling count stays.
    if verify_code(user=actor, code=code) is None:
        raise WrongCode(WRONG_CODE, fields={"otp_token": [WRONG_CODE]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor).delete()
        record_event(actor=actor, action="account.second_factor_removed", target=actor)


@dataclass(frozen=True)
class IssuedToken:
    """The token as shown once to its owner; the database keeps only its SHA-512 digest."""

    key: str
    expiry: datetime | None


def issue_api_token(*, user: User, code: str) -> IssuedToken:
    """The user's API token, after the second factor whenever their login would ask for it.

    Administrators get a token only with a valid code from their confirmed authenticator (one
    without an authenticator gets none until they set it up on the web); anyone else who has
    set one up must send its code too, so the API is never the way around two-step login.
    """
    if second_factor_required(user):
        if confirmed_totp_device(user) is None:
            raise SecondFactorNotSetUp(
                "Administrators need two-step verification before an API token is issued: "
                "set it up at /accounts/two-factor/ first."
            )
        if verify_code(user=user, code=code) is None:
            message = "A current code from your authenticator app is required (otp_token)."
            raise WrongCode(message, fields={"otp_token": [message]})
    with transaction.atomic():
        # Expired tokens are dead already; dropping them keeps the table to live ones.
        AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
        # django-rest-knox: a fresh random token per call, stored hashed, expiring after
        # REST_KNOX["TOKEN_TTL"] (API_TOKEN_TTL_HOURS).
        instance, key = AuthToken.objects.create(user=user)
        record_event(
            actor=user,
            action="account.api_token_issued",
            target=user,
            changes={"expiry": instance.expiry.isoformat() if instance.expiry else None},
        )
    return IssuedToken(key=key, expiry=instance.expiry)


def revoke_api_tokens(*, user: User, actor: User, why: str, token: AuthToken | None = None) -> int:
    """Ends the user's API tokens (or just `token`), audited; returns how many were ended.

    Called at logout (web and API), at a password change and at second-factor enrolment, so a
    token never outlives the login that earned it.
    """
    count: int
    with transaction.atomic():
        tokens = AuthToken.objects.filter(user=user)
        if token is not None:
            tokens = tokens.filter(pk=token.pk)
        count, _ = tokens.delete()
        if count:
            record_event(
                actor=actor,
                action="account.api_tokens_revoked",
                target=user,
                changes={"count": count, "why": why},
            )
    return count
