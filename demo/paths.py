from pathlib import Path

DEFAULT_PATHWAY_YAML = (
    Path(__file__).resolve().parent.parent / "pathways" / "data" / "default_pathway.yaml"
)
