#!/usr/bin/env bash
# Helpers the GitHub Action's steps share (sourced by run.sh and sbom.sh): reading list inputs.

# The text without blanks at either end.
trim() {
  local text=$1
  text=${text#"${text%%[![:space:]]*}"}
  printf '%s' "${text%"${text##*[![:space:]]}"}"
}

# The items of a list input: one per line when it has several lines, else one per word.
items() {
  local text=$1 line words
  if [[ $text == *$'\n'* ]]; then
    while IFS= read -r line; do
      line=$(trim "$line")
      [[ -z $line ]] || printf '%s\n' "$line"
    done <<<"$text"
  else
    read -ra words <<<"$text" # split on blanks, no glob expansion
    for line in "${words[@]}"; do printf '%s\n' "$line"; done
  fi
}
