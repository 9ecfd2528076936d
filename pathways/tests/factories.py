from pathlib import Path

from agencies.models import LocalArea
from pathways.models import PathwayVersion
from pathways.permissions import can_edit_in_area
from pathways.services import create_draft_version, publish_version
from pathways.yaml_io import parse_yaml

DEFAULT_PATHWAY_YAML = Path(__file__).resolve().parent.parent / "data" / "default_pathway.yaml"


def default_definition():
    return parse_yaml(DEFAULT_PATHWAY_YAML.read_text())


def published_default_version(*, area: LocalArea, actor=None) -> PathwayVersion:
    """The default pathway, published in the area. Many fixtures name a practitioner who may
    not edit pathways (the front door): then the system loads it, as `load_pathway` does."""
    if actor is not None and not can_edit_in_area(actor, area):
        actor = None
    version = create_draft_version(area=area, definition=default_definition(), actor=actor)
    return publish_version(version=version, actor=actor)
