#!/usr/bin/env bash
# Set up this checkout on a fresh Debian/Ubuntu machine: a virtualenv in .venv with the
# package installed (editable). `setup.sh test` also installs the test extras and BIND 9,
# which the tests start on 127.0.0.1. apt-get runs (as root or via sudo) only for what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
extras=""
if [ "${1:-}" = test ]; then
  extras="[test]"
  export PATH="$PATH:/usr/sbin"
  command -v named >/dev/null && command -v named-checkzone >/dev/null || packages+=(bind9 bind9-utils)
fi
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
