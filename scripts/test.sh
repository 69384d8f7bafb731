#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian/Ubuntu machine, then run them:
# BIND 9 (the tests start their own named on 127.0.0.1), a virtualenv with the package
# and its test extras. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! PATH="$PATH:/usr/sbin" command -v named >/dev/null || ! PATH="$PATH:/usr/sbin" command -v named-checkzone >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bind9 bind9-utils >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
PATH="$PATH:/usr/sbin" exec .venv/bin/python -m pytest -q "$@"
