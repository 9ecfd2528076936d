"""When a stage is due and when it is overdue: the pathway's timescales in working days."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from .models import Stage, TimescaleFrom
from .working_days import add_working_days


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def stage_due_on(
    *, stage: Stage, entered_at: datetime, referral_received_at: datetime, region: str
) -> date | None:
    """The last working day of the stage's timescale, counted from entry or from referral."""
    if stage.is_terminal or stage.timescale_working_days is None:
        return None
    start = referral_received_at if stage.timescale_from == TimescaleFrom.REFERRAL else entered_at
    return add_working_days(local_date(start), stage.timescale_working_days, region)


def breach_moment(due_on: date) -> datetime:
    """A stage is overdue from the start of the day after its due date, local time."""
    return datetime.combine(
        due_on + timedelta(days=1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
    )
