"""DRF permission classes over the access rules, so the API and the pages ask the same
functions (`cases.selectors`, `cases.access`). Records are still fetched through the
selectors, so a record the user may not see answers 404 whether or not it exists."""

from collections.abc import Callable
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from cases.access.services import (
    can_request_break_glass,
    can_review_break_glass,
    can_see_access_log,
)
from cases.referrals.selectors import reads_referrals
from cases.selectors import holds_cases, receives_shared_information


class _UserRule(BasePermission):
    rule: Callable[[Any], bool]

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and type(self).rule(user))


class HoldsCases(_UserRule):
    """The casework roles: front door, lead practitioner, team member, manager, coordinator."""

    message = "Your role does not work with case files."
    rule = staticmethod(holds_cases)


class ReadsReferrals(_UserRule):
    """Referrers (DSLs) and the casework roles; never analysts, administrators, auditors."""

    message = "Your role does not work with referrals."
    rule = staticmethod(reads_referrals)


class ReceivesSharedInformation(_UserRule):
    message = "Information about children is shared with practitioners only."
    rule = staticmethod(receives_shared_information)


class MayRequestBreakGlass(_UserRule):
    message = "Your role may not request emergency access to cases."
    rule = staticmethod(can_request_break_glass)


class ReviewsBreakGlass(_UserRule):
    message = "Only team managers review emergency access."
    rule = staticmethod(can_review_break_glass)


class IsCaseSteward(BasePermission):
    """For a case the user can see: its lead practitioner or a team manager of its team."""

    message = "Only the case's lead practitioner or a team manager may see this."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return can_see_access_log(request.user, obj)
