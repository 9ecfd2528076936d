"""Working days follow each UK nation's bank holidays; stage deadlines count in them."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agencies.models import BankHolidayRegion
from agencies.tests.factories import LocalAreaFactory
from cases.process.engine import take_transition
from cases.tests.factories import open_case
from pathways.deadlines import breach_moment, stage_due_on
from pathways.models import Stage, TimescaleFrom
from pathways.tests.factories import published_default_version
from pathways.working_days import add_working_days, is_working_day, working_days_between

ENG = BankHolidayRegion.ENGLAND_AND_WALES
SCT = BankHolidayRegion.SCOTLAND
NIR = BankHolidayRegion.NORTHERN_IRELAND
LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


# --- calendar arithmetic -----------------------------------------------------------------------


def test_the_start_day_never_counts_and_zero_days_is_the_start_day():
    assert add_working_days(date(2025, 3, 4), 0) == date(2025, 3, 4)
    assert add_working_days(date(2025, 3, 4), 1) == date(2025, 3, 5)


def test_weekends_are_skipped():
    friday = date(2025, 3, 7)
    assert add_working_days(friday, 1) == date(2025, 3, 10)
    assert add_working_days(date(2025, 3, 8), 1) == date(2025, 3, 10)  # from a Saturday
    assert add_working_days(friday, 5) == date(2025, 3, 14)
    assert add_working_days(friday, 10) == date(2025, 3, 21)


def test_a_negative_number_of_days_is_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2025, 3, 4), -1)


@pytest.mark.parametrize(
    ("region", "due"),
    [
        # Christmas Day, Boxing Day and New Year's Day everywhere...
        (ENG, date(2025, 1, 2)),
        (NIR, date(2025, 1, 2)),
        # ...and 2 January too in Scotland.
        (SCT, date(2025, 1, 3)),
    ],
)
def test_christmas_and_new_year_across_the_year_end(region, due):
    # Fri 20 Dec 2024: 23, 24, 27, 30, 31 Dec, then the first working day of January.
    assert add_working_days(date(2024, 12, 20), 5, region) == date(2024, 12, 31)
    assert add_working_days(date(2024, 12, 20), 6, region) == due


@pytest.mark.parametrize("region", [ENG, SCT, NIR])
def test_a_boxing_day_on_a_saturday_moves_to_the_monday(region):
    # 2026: Christmas is a Friday, Boxing Day a Saturday, so Monday 28 December is off.
    assert add_working_days(date(2026, 12, 24), 1, region) == date(2026, 12, 29)


def test_a_scottish_2_january_on_a_saturday_moves_to_monday_4_january():
    assert add_working_days(date(2026, 12, 31), 1, ENG) == date(2027, 1, 4)
    assert add_working_days(date(2026, 12, 31), 1, SCT) == date(2027, 1, 5)


@pytest.mark.parametrize(
    ("region", "due"),
    [
        (ENG, date(2025, 4, 22)),  # Good Friday and Easter Monday
        (NIR, date(2025, 4, 22)),
        (SCT, date(2025, 4, 21)),  # Good Friday only: Easter Monday is a working day
    ],
)
def test_easter(region, due):
    assert add_working_days(date(2025, 4, 17), 1, region) == due


def test_st_patricks_day_is_a_bank_holiday_only_in_northern_ireland():
    friday = date(2025, 3, 14)
    assert add_working_days(friday, 1, ENG) == date(2025, 3, 17)
    assert add_working_days(friday, 1, SCT) == date(2025, 3, 17)
    assert add_working_days(friday, 1, NIR) == date(2025, 3, 18)
    # 2024: 17 March was a Sunday, so Monday 18 March was the holiday.
    assert not is_working_day(date(2024, 3, 18), NIR)
    assert is_working_day(date(2024, 3, 18), ENG)


def test_the_twelfth_of_july_is_a_bank_holiday_only_in_northern_ireland():
    assert add_working_days(date(2024, 7, 11), 1, ENG) == date(2024, 7, 12)
    assert add_working_days(date(2024, 7, 11), 1, NIR) == date(2024, 7, 15)
    # 2025: the 12th was a Saturday, so Monday 14 July was the holiday.
    assert add_working_days(date(2025, 7, 11), 1, NIR) == date(2025, 7, 15)
    assert add_working_days(date(2025, 7, 11), 1, ENG) == date(2025, 7, 14)


def test_summer_bank_holidays_differ_between_scotland_and_england():
    assert not is_working_day(date(2025, 8, 4), SCT)
    assert is_working_day(date(2025, 8, 4), ENG)
    assert not is_working_day(date(2025, 8, 25), ENG)
    assert is_working_day(date(2025, 8, 25), SCT)


def test_working_days_between_counts_the_end_but_not_the_start():
    assert working_days_between(date(2024, 12, 20), date(2025, 1, 3), ENG) == 7
    assert working_days_between(date(2024, 12, 20), date(2025, 1, 3), SCT) == 6
    assert working_days_between(date(2025, 1, 3), date(2024, 12, 20), ENG) == -7
    assert working_days_between(date(2025, 3, 4), date(2025, 3, 4)) == 0


def test_working_days_between_inverts_add_working_days():
    start = date(2024, 12, 20)
    for days in (1, 6, 45):
        for region in (ENG, SCT, NIR):
            assert working_days_between(start, add_working_days(start, days, region), region) == (
                days
            )


# --- stage deadlines ---------------------------------------------------------------------------


def _stage(days, counted_from, terminal=False):
    return Stage(
        key="stage", timescale_working_days=days, timescale_from=counted_from, is_terminal=terminal
    )


REFERRED = datetime(2024, 12, 20, 10, 0, tzinfo=LONDON)  # a Friday
ENTERED = datetime(2025, 1, 6, 9, 30, tzinfo=LONDON)  # a Monday


def test_a_stage_timed_from_referral_counts_from_the_day_the_referral_arrived():
    # 45 working days from Friday 20 December 2024 (the statutory assessment's timescale).
    stage = _stage(45, TimescaleFrom.REFERRAL)

    assert stage_due_on(
        stage=stage, entered_at=ENTERED, referral_received_at=REFERRED, region=ENG
    ) == date(2025, 2, 26)
    assert stage_due_on(
        stage=stage, entered_at=ENTERED, referral_received_at=REFERRED, region=SCT
    ) == date(2025, 2, 27)


def test_a_stage_timed_from_entry_counts_from_the_day_the_case_entered_it():
    stage = _stage(5, TimescaleFrom.STAGE_ENTRY)

    assert stage_due_on(
        stage=stage, entered_at=ENTERED, referral_received_at=REFERRED, region=ENG
    ) == date(2025, 1, 13)


def test_terminal_stages_and_stages_without_a_timescale_are_never_due():
    for stage in (_stage(5, TimescaleFrom.STAGE_ENTRY, terminal=True), _stage(None, "referral")):
        assert (
            stage_due_on(stage=stage, entered_at=ENTERED, referral_received_at=REFERRED, region=ENG)
            is None
        )


def test_deadlines_count_from_the_local_date_not_the_utc_date():
    # 23:30 UTC on Thursday 17 July is 00:30 on Friday 18 July in London (BST).
    late_evening = datetime(2025, 7, 17, 23, 30, tzinfo=UTC)
    stage = _stage(1, TimescaleFrom.REFERRAL)

    assert stage_due_on(
        stage=stage, entered_at=late_evening, referral_received_at=late_evening, region=ENG
    ) == date(2025, 7, 21)


def test_a_stage_breaches_at_local_midnight_after_its_due_date():
    assert breach_moment(date(2025, 7, 18)) == datetime(2025, 7, 18, 23, 0, tzinfo=UTC)
    assert breach_moment(date(2025, 1, 2)) == datetime(2025, 1, 3, 0, 0, tzinfo=UTC)


# --- on real cases -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("region", "due"), [(ENG, date(2025, 1, 2)), (SCT, date(2025, 1, 3))])
def test_a_referral_on_new_years_eve_is_decided_by_the_next_working_day_of_the_area(
    region, due, front_door
):
    area = LocalAreaFactory(name=f"Area {region}", bank_holiday_region=region)
    version = published_default_version(area=area, actor=front_door)

    case = open_case(
        version=version,
        actor=front_door,
        received_at=datetime(2024, 12, 31, 16, 45, tzinfo=LONDON),
    )

    assert case.current_stage.key == "initial_decision"
    assert case.stage_due_on == due


@pytest.mark.django_db
def test_a_stage_timed_from_entry_starts_counting_when_the_case_moves_in(
    default_version, front_door, lead_practitioner
):
    referred = datetime(2024, 12, 20, 10, 0, tzinfo=LONDON)
    case = open_case(version=default_version, actor=front_door, received_at=referred)

    case = take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "inappropriate", "lead_practitioner": lead_practitioner.pk},
    )

    # Early help: 30 working days from entry (today), not from the December referral.
    entered_on = case.stage_entered_at.astimezone(LONDON).date()
    assert case.stage_due_on == add_working_days(entered_on, 30, ENG)
    assert case.stage_due_on > entered_on + timedelta(days=30)


@pytest.mark.django_db
def test_a_stage_timed_from_referral_keeps_the_referral_clock_after_a_move(
    default_version, front_door, lead_practitioner
):
    referred = datetime(2024, 12, 20, 10, 0, tzinfo=LONDON)
    case = open_case(version=default_version, actor=front_door, received_at=referred)
    assert case.stage_due_on == date(2024, 12, 23)

    case = take_transition(
        case=case,
        transition="open_csc_assessment",
        actor=front_door,
        data={"significant_harm_suspected": True, "lead_practitioner": lead_practitioner.pk},
    )

    assert case.stage_due_on == date(2025, 2, 26)
