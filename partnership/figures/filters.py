"""The dashboard's filters: the referring agency's type and the referral's census source,
and the child's age band at referral, gender, ethnicity, special educational needs and
involvement."""

from __future__ import annotations

from dataclasses import dataclass

from agencies.models import AgencyType
from cases.codes import Ethnicity, Gender, ReferralSource
from cases.models import Involvement

from ..exceptions import InvalidDashboardFilter


@dataclass(frozen=True)
class AgeBand:
    key: str
    label: str
    lowest: int | None
    highest: int | None


AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("under_10", "Under 10", None, 9),
    AgeBand("10_12", "10 to 12", 10, 12),
    AgeBand("13_15", "13 to 15", 13, 15),
    AgeBand("16_17", "16 to 17", 16, 17),
    AgeBand("18_plus", "18 and over", 18, None),
)
AGE_BAND_KEYS = {band.key: band for band in AGE_BANDS}


@dataclass(frozen=True)
class DashboardFilters:
    agency_type: str = ""
    source: str = ""
    age_band: str = ""
    gender: str = ""
    ethnicity: str = ""
    sen: bool | None = None
    involvement: str = ""

    def clean(self) -> DashboardFilters:
        errors: dict[str, list[str]] = {}
        for name, known in (
            ("agency_type", AgencyType.values),
            ("source", ReferralSource.values),
            ("age_band", list(AGE_BAND_KEYS)),
            ("gender", Gender.values),
            ("ethnicity", Ethnicity.values),
            ("involvement", Involvement.values),
        ):
            value = getattr(self, name)
            if value and value not in known:
                errors[name] = [f"'{value}' is not one of {', '.join(known)}."]
        if errors:
            raise InvalidDashboardFilter("Unknown filter values.", fields=errors)
        return self

    def as_query(self) -> dict[str, str]:
        """The filters as URL query parameters (only those set)."""
        values = {
            name: getattr(self, name)
            for name in ("agency_type", "source", "age_band", "gender", "ethnicity", "involvement")
            if getattr(self, name)
        }
        if self.sen is not None:
            values["sen"] = "yes" if self.sen else "no"
        return values

    def describe(self) -> str:
        labels = []
        if self.agency_type:
            labels.append(f"referring agency: {AgencyType(self.agency_type).label}")
        if self.source:
            labels.append(f"source: {ReferralSource(self.source).label}")
        if self.age_band:
            labels.append(f"age at referral: {AGE_BAND_KEYS[self.age_band].label}")
        if self.gender:
            labels.append(f"gender: {Gender(self.gender).label}")
        if self.ethnicity:
            labels.append(f"ethnicity: {Ethnicity(self.ethnicity).label}")
        if self.sen is not None:
            labels.append("SEN" if self.sen else "no SEN")
        if self.involvement:
            labels.append(str(Involvement(self.involvement).label))
        return "; ".join(labels) or "no filters"
