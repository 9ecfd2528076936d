from pathlib import Path

from agencies.models import LocalArea
from pathways.models import PathwayVersion
from pathways.services import create_draft_version, publish_version
from pathways.yaml_io import parse_yaml

DEFAULT_PATHWAY_YAML = Path(__file__).resolve().parent.parent / "data" / "default_pathway.yaml"


def default_definition():
    return parse_yaml(DEFAULT_PATHWAY_YAML.read_text())


def published_default_version(*, area: LocalArea, actor=None) -> PathwayVersion:
    version = create_draft_version(area=area, definition=default_definition(), actor=actor)
    return publish_version(version=version, actor=actor)
