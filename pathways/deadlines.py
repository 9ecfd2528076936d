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
    *,
    stage: Stage,
    entered_at: datetime,
    referral_received_at: datetime,
    region: str,
    csc_referred_at: datetime | None = None,
) -> date | None:
    """The last working day of the stage's timescale, counted from its anchor: the stage's
    entry, the referral, or the referral to children's social care (`csc_referred_at`, the
    named event a move into a statutory stage records: pathways.closure)."""
    if stage.is_terminal or stage.timescale_working_days is None:
        return None
    start = timescale_start(
        stage,
        entered_at=entered_at,
        referral_received_at=referral_received_at,
        csc_referred_at=csc_referred_at,
    )
    return add_working_days(local_date(start), stage.timescale_working_days, region)


def timescale_start(
    stage: Stage,
    *,
    entered_at: datetime,
    referral_received_at: datetime,
    csc_referred_at: datetime | None,
) -> datetime:
    if stage.timescale_from == TimescaleFrom.REFERRAL:
        return referral_received_at
    if stage.timescale_from == TimescaleFrom.CSC_REFERRAL:
        # Recorded by the move into the stage; a case that entered before the event was
        # recorded (none can now) counts from the referral, as the stage did then.
        return csc_referred_at or referral_received_at
    return entered_at


def breach_moment(due_on: date) -> datetime:
    """A stage is overdue from the start of the day after its due date, local time."""
    return datetime.combine(
        due_on + timedelta(days=1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
    )
