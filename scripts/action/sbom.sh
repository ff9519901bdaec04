#!/usr/bin/env bash
# The bill-of-materials step of the GitHub Action (action.yml): when the sbom input names a format
# (cyclonedx, spdx or spdx-tagvalue), `lintml sbom` writes the document of the repository (the first
# path input) into RUNNER_TEMP and gives its path as the step output sbom-file, which the next step
# uploads as a workflow artifact. An empty sbom input (the default) does nothing.
#
# Inputs come as environment variables (INPUT_SBOM, INPUT_PATH, INPUT_CONFIG, INPUT_INDEXES), the
# runner's own as GITHUB_* and RUNNER_TEMP. The exit code is lintml's: 0 written, 2 an error.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
python=${LINTML_PYTHON:-python}
cd -- "${GITHUB_WORKSPACE:-.}"

# shellcheck source=common.sh
source "$here/common.sh"

format=$(trim "${INPUT_SBOM:-}")
case $format in
  "" | none | false) exit 0 ;;
  cyclonedx) name=lintml.cdx.json ;;
  spdx) name=lintml.spdx.json ;;
  spdx-tagvalue) name=lintml.spdx ;;
  *)
    echo "::error title=lintml::the sbom input is cyclonedx, spdx or spdx-tagvalue (or empty for none), not '$format'"
    exit 2
    ;;
esac

# The repository the check looked at: the first path input (one per line, or the first word).
first=$(trim "${INPUT_PATH:-.}")
first=$(trim "${first%%$'\n'*}")
[[ $first == *$'\n'* || $first != *" "* ]] || first=${first%% *}
[[ -n $first && -d $first ]] || first=.

arguments=(sbom "$first" --format "$format")
[[ -z ${INPUT_CONFIG:-} ]] || arguments+=(--config "$INPUT_CONFIG")
read -ra indexes <<<"$(tr '\n' ' ' <<<"${INPUT_INDEXES:-}")"
for index in "${indexes[@]}"; do arguments+=(--index "$index"); done

reports=${RUNNER_TEMP:-$(mktemp -d)}/lintml
mkdir -p -- "$reports"
"$python" -m lintml.cli "${arguments[@]}" --output "$reports/$name"
echo "lintml: wrote the $format bill of materials to $reports/$name" >&2
[[ -z ${GITHUB_OUTPUT:-} ]] || printf 'sbom-file=%s\n' "$reports/$name" >>"$GITHUB_OUTPUT"
