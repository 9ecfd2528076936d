"""Static files build under production settings (config/storage.py).

collectstatic with WhiteNoise's manifest storage used to fail on viewflow's bundled
roboto-fontface.css, which names font files viewflow does not ship; with no manifest, every
page then answered 500. The production storage leaves such a reference in an installed
package's CSS as it is, and stays strict about our own files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage

from config import storage as storage_module
from config.storage import TolerantManifestStaticFilesStorage
from tests.test_production_settings import run_manage

ROBOTO_CSS = "viewflow/fonts/roboto/node_modules/roboto-fontface/css/roboto/roboto-fontface.css"


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One collectstatic under production settings, as the image build runs it."""
    root = tmp_path_factory.mktemp("static")
    result = run_manage("collectstatic", "--noinput", STATIC_ROOT=str(root), LOG_FORMAT="text")
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    return {"root": root, "manifest": manifest, "log": result.stderr}


def test_the_manifest_maps_the_favicon_the_base_page_uses_to_a_hashed_file(
    collected: dict[str, Any],
) -> None:
    hashed = collected["manifest"]["viewflow/img/favicon.png"]

    assert re.fullmatch(r"viewflow/img/favicon\.[0-9a-f]{12}\.png", hashed)
    assert (collected["root"] / hashed).is_file()


def test_our_own_stylesheet_is_hashed_and_compressed(collected: dict[str, Any]) -> None:
    hashed = collected["manifest"]["hsb/site.css"]

    assert re.fullmatch(r"hsb/site\.[0-9a-f]{12}\.css", hashed)
    assert (collected["root"] / hashed).is_file()
    assert (collected["root"] / f"{hashed}.gz").is_file()


def test_a_font_viewflow_does_not_ship_is_left_unchanged_and_logged_once(
    collected: dict[str, Any],
) -> None:
    hashed = collected["manifest"][ROBOTO_CSS]
    css = (collected["root"] / hashed).read_text()
    warnings = [line for line in collected["log"].splitlines() if "left unhashed" in line]

    assert hashed != ROBOTO_CSS, "the stylesheet itself is still hashed"
    assert "url('./Roboto-Thin.woff2')" in css
    assert len(warnings) == 1
    assert "roboto-fontface.css refers to 24 file(s)" in warnings[0]
    assert "Roboto-Thin.woff2" in warnings[0]


def _post_process(tmp_path: Path, css: str) -> tuple[list[Any], Path]:
    """Runs the storage's post-processing over one stylesheet from the source directory
    tmp_path/src (as collectstatic would after copying it); returns what it yielded."""
    source_dir, out_dir = tmp_path / "src", tmp_path / "out"
    for directory in (source_dir, out_dir):
        (directory / "pkg").mkdir(parents=True)
        (directory / "pkg" / "site.css").write_text(css)
        (directory / "pkg" / "logo.png").write_bytes(b"\x89PNG invented")
    storage = TolerantManifestStaticFilesStorage(location=str(out_dir), base_url="/static/")
    source = FileSystemStorage(location=str(source_dir))
    paths = {name: (source, name) for name in ("pkg/site.css", "pkg/logo.png")}
    return list(storage.post_process(paths)), out_dir


CSS = 'body { background: url("logo.png"); } h1 { background: url("missing.png"); }'


def test_a_missing_file_named_by_our_own_css_still_fails_the_build(tmp_path: Path) -> None:
    results, _out = _post_process(tmp_path, CSS)

    errors = [
        processed for _name, _hashed, processed in results if isinstance(processed, Exception)
    ]
    assert len(errors) == 1
    assert "pkg/missing.png" in str(errors[0])


def test_an_installed_packages_css_keeps_the_missing_reference_and_hashes_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The source directory stands in for site-packages.
    monkeypatch.setattr(
        storage_module, "_installed_package_dirs", lambda: ((tmp_path / "src").resolve(),)
    )

    results, out = _post_process(tmp_path, CSS)

    assert not [processed for _n, _h, processed in results if isinstance(processed, Exception)]
    manifest = json.loads((out / "staticfiles.json").read_text())["paths"]
    css = (out / manifest["pkg/site.css"]).read_text()
    assert re.search(r'url\("logo\.[0-9a-f]{12}\.png"\)', css)
    assert 'url("missing.png")' in css
