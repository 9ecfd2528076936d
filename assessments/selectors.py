from datetime import datetime
from typing import Any

from .models import Assessment, AssessmentStatus


def case_has_authorised_assessment(*, case: Any, since: datetime) -> bool:
    """An assessment authorised since the case entered its current stage."""
    return Assessment.objects.filter(
        case_id=case.pk, status=AssessmentStatus.AUTHORISED, authorised_at__gte=since
    ).exists()
