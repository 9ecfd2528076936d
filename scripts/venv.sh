# Shared by scripts/test and scripts/demo: find Python 3.11, create .venv if missing and
# install the pinned dependencies when the venv is new or pyproject/constraints changed.
# shellcheck shell=bash

VENV=.venv
STAMP="$VENV/.hsb-install-stamp"

is_python311() {
    "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1
}

find_python311() {
    local candidate
    for candidate in \
        "${PYTHON:-}" \
        python3.11 \
        "${PYENV_ROOT:-${HOME:-/root}/.pyenv}"/versions/3.11*/bin/python3.11 \
        /root/.pyenv/versions/3.11*/bin/python3.11 \
        /usr/local/bin/python3.11 \
        /usr/bin/python3.11 \
        python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && is_python311 "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# ensure_venv EXTRAS: EXTRAS is "" for the runtime only, "[dev]" for tests and tooling.
ensure_venv() {
    local extras=$1 py want
    if [ -e "$VENV" ] && ! is_python311 "$VENV/bin/python"; then
        echo "==> existing $VENV is broken or not Python 3.11; recreating it"
        rm -rf "$VENV"
    fi
    if [ ! -e "$VENV" ]; then
        if ! py=$(find_python311); then
            echo "ERROR: Python 3.11 not found (tried \$PYTHON, python3.11, pyenv, python3)." >&2
            return 2
        fi
        echo "==> creating $VENV with $py ($("$py" --version 2>&1))"
        "$py" -m venv "$VENV"
    fi
    want=$(cat pyproject.toml requirements/constraints.txt \
        <("$VENV/bin/python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)
    # A dev install also satisfies a runtime-only request.
    if [ -f "$STAMP" ] && { [ "$(cat "$STAMP")" = "$want$extras" ] ||
        { [ -z "$extras" ] && [ "$(cat "$STAMP")" = "$want[dev]" ]; }; }; then
        return 0
    fi
    echo "==> installing pinned dependencies into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -c requirements/constraints.txt -e ".$extras"
    echo "$want$extras" >"$STAMP"
}
