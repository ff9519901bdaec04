#!/usr/bin/env bash
# The install step of the GitHub Action (action.yml): put lintml into the Python that runs it.
#
# INPUT_VERSION: empty installs the action's own checkout ($GITHUB_ACTION_PATH), so `uses:
# lintml/lintml@v0` runs the lintml of that tag; a version number installs lintml==VERSION; any
# other text is a pip requirement (lintml>=0.2, git+https://...); none installs nothing and uses
# the lintml the Python already has.
set -euo pipefail

python=${LINTML_PYTHON:-python}
version=${INPUT_VERSION:-}

case $version in
  none)
    "$python" -m lintml.cli --version
    exit 0
    ;;
  "") requirement=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: not running as an action} ;;
  [0-9]*) requirement="lintml==$version" ;;
  *) requirement=$version ;;
esac

echo "lintml: installing $requirement"
"$python" -m pip install --disable-pip-version-check --quiet -- "$requirement"
"$python" -m lintml.cli --version
