#!/usr/bin/env bash
# The check step of the GitHub Action (action.yml). On a pull request with no diff-base given,
# it finds the base branch (fetching it, and the history a shallow clone lacks, when the
# checkout did not); then scripts/action/check.py runs lintml once and writes the SARIF log,
# the annotations, the step outputs and the job summary. The exit code is lintml's: 0 clean,
# 1 findings at or above fail-on, 2 a usage or configuration error.
#
# Inputs come as environment variables (INPUT_PATH, INPUT_CONFIG, INPUT_FAIL_ON,
# INPUT_DIFF_BASE, INPUT_INDEXES), the runner's own as GITHUB_* and RUNNER_TEMP.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
python=${LINTML_PYTHON:-python}
cd -- "${GITHUB_WORKSPACE:-.}"

# shellcheck source=common.sh
source "$here/common.sh"

# git for the base branch, with nothing the checked-out repository could configure run: no hooks,
# fsmonitor, pager or external diff, no ext:: or fd:: transports, no prompts, no optional index
# writes, and a time limit (lintml's own git calls go through lintml/git.py, which does the same).
locked_git() {
  local limit=()
  command -v timeout >/dev/null && limit=(timeout --kill-after=10 600)
  GIT_TERMINAL_PROMPT=0 GIT_OPTIONAL_LOCKS=0 GIT_PAGER=cat "${limit[@]}" git --no-pager \
    -c core.hooksPath=/dev/null -c core.fsmonitor=false -c core.pager=cat -c diff.external= \
    -c protocol.ext.allow=never -c protocol.fd.allow=never -c submodule.recurse=false "$@" </dev/null
}

# The pull request's base branch as a ref this clone has, or nothing (and a warning) when it
# cannot be fetched. A merge base needs both histories, which a shallow clone lacks.
pull_request_base() {
  local branch=$1 remote=origin
  local tracking="refs/remotes/$remote/$branch"
  if ! locked_git rev-parse --verify --quiet "$tracking^{commit}" >/dev/null; then
    echo "lintml: fetching $branch from $remote to compare with it" >&2
    if ! locked_git fetch --no-tags --quiet "$remote" "+refs/heads/$branch:$tracking" >&2; then
      echo "::warning title=lintml::cannot fetch the base branch $branch; checking every file" >&2
      return 0
    fi
  fi
  if [[ $(locked_git rev-parse --is-shallow-repository) == true ]]; then
    echo "::notice title=lintml::a shallow clone: fetching the history of $branch and HEAD to find where they" \
      "part (actions/checkout with fetch-depth: 0 saves this step)" >&2
    if ! locked_git fetch --no-tags --quiet --unshallow "$remote" "+refs/heads/$branch:$tracking" \
      "$(locked_git rev-parse HEAD)" >&2; then
      echo "::warning title=lintml::cannot fetch the history of $branch; checking every file" >&2
      return 0
    fi
  fi
  printf '%s\n' "$tracking"
}

arguments=()
while IFS= read -r path; do
  arguments+=("$path")
done < <(items "${INPUT_PATH:-.}")
[[ ${#arguments[@]} -gt 0 ]] || arguments=(.)

[[ -z ${INPUT_CONFIG:-} ]] || arguments+=(--config "$INPUT_CONFIG")
[[ -z ${INPUT_FAIL_ON:-} ]] || arguments+=(--fail-on "$INPUT_FAIL_ON")
while IFS= read -r index; do
  arguments+=(--index "$index")
done < <(items "${INPUT_INDEXES:-}")

base=$(trim "${INPUT_DIFF_BASE:-}")
if [[ $base == none ]]; then
  base=
elif [[ -z $base && -n ${GITHUB_BASE_REF:-} ]]; then
  base=$(pull_request_base "$GITHUB_BASE_REF")
fi
[[ -z $base ]] || arguments+=(--diff-base "$base")

reports=${RUNNER_TEMP:-$(mktemp -d)}/lintml
mkdir -p -- "$reports"
arguments+=(--sarif "$reports/lintml.sarif")

exec "$python" "$here/check.py" "${arguments[@]}"
