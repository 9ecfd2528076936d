"""Static files storage for production: WhiteNoise's hashed, compressed manifest storage that
does not refuse to build over a dangling url() in an installed package's CSS.

viewflow bundles roboto-fontface.css, which names font files (e.g. ``Roboto-Thin.woff2``) that
viewflow does not ship. Django's manifest storage rewrites every url() in a CSS file to the
target's hashed name and raises when the target does not exist, so ``collectstatic`` failed
and, with no manifest, every page answered 500. Here such a reference in a file from an
installed package is left as it was (the browser gets a 404 for that font and falls back)
and logged once; every file that exists is still hashed and compressed. Our own files (from
``STATICFILES_DIRS`` and the project's apps) stay strict: a broken reference there is our bug.
"""

from __future__ import annotations

import logging
import posixpath
import re
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)

# What HashedFilesMixin.hashed_name raises when a referenced file does not exist.
_MISSING_FILE = re.compile(r"^The file '(?P<missing>.+)' could not be found")


def _installed_package_dirs() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    return tuple({Path(paths[key]).resolve() for key in ("purelib", "platlib")})


class TolerantManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashes and compresses like WhiteNoise's storage; a url() in an installed package's CSS
    or JS that names a missing file is kept unchanged (logged at WARNING, once per file)
    instead of failing the build."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._third_party_names: set[str] = set()
        # CSS file -> the missing files it names, reported once when post-processing ends.
        self._missing: dict[str, set[str]] = {}

    def post_process(
        self, paths: dict[str, tuple[Any, str]], dry_run: bool = False, **options: Any
    ) -> Iterator[tuple[str, str | None, Any]]:
        # paths maps each collected name to (the finder's source storage, its path there):
        # the source's location says whether the file came from an installed package.
        package_dirs = _installed_package_dirs()
        self._third_party_names = {
            self.clean_name(name)
            for name, (source, _path) in paths.items()
            if _is_within(getattr(source, "location", None), package_dirs)
        }
        self._missing = {}
        yield from super().post_process(paths, dry_run, **options)
        # post_process makes several passes over each CSS file: one line per file, at the end.
        for name, missing in sorted(self._missing.items()):
            folder = posixpath.dirname(name)
            logger.warning(
                "%s refers to %d file(s) that do not exist, left unhashed: %s",
                name,
                len(missing),
                ", ".join(sorted(posixpath.relpath(path, folder) for path in missing)),
            )

    def url_converter(
        self, name: str, hashed_files: dict[str, str], template: str | None = None
    ) -> Callable[[re.Match[str]], str]:
        converter = super().url_converter(name, hashed_files, template)
        if self.clean_name(name) not in self._third_party_names:
            return converter

        def tolerant_converter(matchobj: re.Match[str]) -> str:
            try:
                return converter(matchobj)
            except ValueError as error:
                match = _MISSING_FILE.match(str(error.args[0]) if error.args else "")
                if match is None:
                    raise
                self._missing.setdefault(name, set()).add(match["missing"])
                return matchobj["matched"]

        return tolerant_converter


def _is_within(location: str | None, parents: tuple[Path, ...]) -> bool:
    if not location:
        return False
    path = Path(location).resolve()
    return any(path.is_relative_to(parent) for parent in parents)
