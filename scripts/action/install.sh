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

# `python -m` puts the current folder first on sys.path, and a step starts in the workspace: the
# checked-out repository, whose own pip/ or lintml/ folder would be imported (and run) in place of
# the real one. So Python runs from / (a requirement that is a path is made absolute first).
neutral() {
  (cd / && "$@")
}

case $version in
  none)
    neutral "$python" -m lintml.cli --version
    exit 0
    ;;
  "") requirement=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: not running as an action} ;;
  [0-9]*) requirement="lintml==$version" ;;
  *) requirement=$version ;;
esac
if [[ -e $requirement ]]; then
  requirement=$(cd -- "$(dirname -- "$requirement")" && printf '%s/%s' "$(pwd)" "$(basename -- "$requirement")")
fi

echo "lintml: installing $requirement"
neutral "$python" -m pip install --disable-pip-version-check --quiet -- "$requirement"
neutral "$python" -m lintml.cli --version
