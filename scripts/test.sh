#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine, then run the default suite.
# Usage: bash scripts/test.sh [pytest arguments]   (e.g. -m slow for the long tests)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v ngspice >/dev/null 2>&1 || ! ldconfig -p | grep -q 'libngspice.so '; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q ngspice libngspice0 libngspice0-dev
fi
python3 -m pip install -q -e ".[dev]"
python3 -m pytest -q "$@"
