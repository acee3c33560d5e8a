# Sourced by scripts/serve and scripts/test from the repository root (no shebang: not run alone).
# shellcheck shell=bash

VENV=.venv
STAMP="$VENV/.rotagraph-install"

ensure_venv() {  # $1: what to install, e.g. "." or ".[test]"
    if ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        local py
        for py in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
            if [ -n "$py" ] && command -v "$py" >/dev/null &&
                "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
                break
            fi
            py=""
        done
        [ -n "$py" ] || { echo "scripts: Python >= 3.11 is required (set PYTHON=...)" >&2; exit 1; }
        echo "Creating $VENV with $py"
        rm -rf "$VENV"
        "$py" -m venv "$VENV"
    fi
    local hash
    hash="$("$VENV/bin/python" -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')"
    if ! grep -qxF "$1 $hash" "$STAMP" 2>/dev/null || [ ! -x "$VENV/bin/rotagraph" ]; then
        echo "Installing rotagraph$([ "$1" = . ] || echo " ${1#.}") into $VENV"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$1"
        # The test extras include everything the server needs.
        { echo "$1 $hash"; [ "$1" = . ] || echo ". $hash"; } >"$STAMP"
    fi
}
