"""Published pathway versions, compiled once per process.

Published versions are immutable, so their stages and transitions can be cached in memory:
a transition then costs no definition queries at all.
"""

from dataclasses import dataclass
from functools import lru_cache

from .exceptions import TransitionNotAvailable
from .models import PathwayVersion, Stage, Transition


@dataclass(frozen=True)
class CompiledVersion:
    version_id: int
    region: str
    stages: dict[int, Stage]
    stage_by_key: dict[str, Stage]
    transitions: dict[str, Transition]
    exits: dict[int, list[Transition]]
    # The pathway's area: a case opened on this version belongs to it.
    area_id: int = 0

    @property
    def initial_stage(self) -> Stage:
        return next(stage for stage in self.stages.values() if stage.is_initial)

    def transition(self, key: str) -> Transition:
        try:
            return self.transitions[key]
        except KeyError:
            raise TransitionNotAvailable(
                f"This pathway version has no transition '{key}'.", fields={"transition": [key]}
            ) from None


def _compile(version: PathwayVersion) -> CompiledVersion:
    stages = {stage.pk: stage for stage in version.stages.order_by("position")}
    transitions = list(version.transitions.order_by("position"))
    exits: dict[int, list[Transition]] = {pk: [] for pk in stages}
    for transition in transitions:
        exits[transition.from_stage_id].append(transition)
        # Share stage objects so no lazy loads happen later.
        transition.from_stage = stages[transition.from_stage_id]
        transition.to_stage = stages[transition.to_stage_id]
    return CompiledVersion(
        version_id=version.pk,
        region=version.pathway.area.bank_holiday_region,
        stages=stages,
        stage_by_key={stage.key: stage for stage in stages.values()},
        transitions={t.key: t for t in transitions},
        exits=exits,
        area_id=version.pathway.area_id,
    )


@lru_cache(maxsize=256)
def _compiled_published(version_id: int) -> CompiledVersion:
    version = PathwayVersion.objects.select_related("pathway__area").get(pk=version_id)
    if not version.is_published:
        # Drafts change; only immutable versions may be cached (and cases pin only those).
        raise ValueError(f"Pathway version {version_id} is a draft; cases follow published ones.")
    return _compile(version)


def compiled_version(version_id: int) -> CompiledVersion:
    """A published version's stages and transitions, from the in-memory cache."""
    return _compiled_published(version_id)


def clear_compiled_cache() -> None:
    _compiled_published.cache_clear()
