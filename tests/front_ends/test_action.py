"""The GitHub Action (action.yml): its metadata, its docs, and its shell steps run as a runner would.

The steps are read from action.yml and run as written (``bash -c`` with the step's ``env:``, its
``${{ inputs.* }}`` filled in from the defaults), in a real git repository, with the variables a
runner sets pointing into a temporary folder. Only the ``uses:`` steps are left out (setting up
Python, and the upload to code scanning, which needs GitHub); the lintml already installed here
stands in for the install (``version: none``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import pytest
import yaml

from tests.helpers import GPL3_HEADER, MIT_TEXT, ROOT, assert_valid_sarif, write_tree

ACTION = ROOT / "action.yml"
DOCS = ROOT / "docs" / "github-action.md"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str

    def sarif(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(Path(self.outputs["sarif-file"]).read_text(encoding="utf-8"))
        return document

    def sarif_paths(self) -> set[str]:
        return {
            location["physicalLocation"]["artifactLocation"]["uri"]
            for result in self.sarif()["runs"][0]["results"]
            for location in result["locations"]
        }


def run_steps(workspace: Path, runner: Path, inputs: Mapping[str, str] | None = None, **variables: str) -> Run:
    """Run the action's ``run:`` steps in order, stopping at the first that fails, as a runner does."""
    metadata = action()
    given = {name: spec.get("default", "") for name, spec in metadata["inputs"].items()}
    given.update({"version": "none", **(inputs or {})})
    runner.mkdir(parents=True, exist_ok=True)
    (runner / "temp").mkdir(exist_ok=True)
    output_file, summary_file = runner / "output", runner / "summary"
    environment = {
        **os.environ,
        # `python` is the one this test runs under, with lintml installed, as setup-python's would be.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary_file),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_BASE_REF": "",
        "RUNNER_TEMP": str(runner / "temp"),
        **variables,
    }
    stdout, stderr, returncode = [], [], 0
    for step in metadata["runs"]["steps"]:
        if "run" not in step:
            continue
        step_environment = dict(environment)
        for key, value in step.get("env", {}).items():
            step_environment[key] = EXPRESSION.sub(lambda match: _input(match.group(1), given), str(value))
        done = subprocess.run(
            ["bash", "-c", step["run"]],
            cwd=workspace,
            env=step_environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        stdout.append(done.stdout)
        stderr.append(done.stderr)
        returncode = done.returncode
        if returncode != 0:
            break
    outputs = {}
    if output_file.exists():
        for line in output_file.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            outputs[key] = value
    summary = summary_file.read_text(encoding="utf-8") if summary_file.exists() else ""
    return Run(returncode, "".join(stdout), "".join(stderr), outputs, summary)


def _input(expression: str, given: Mapping[str, str]) -> str:
    match = re.fullmatch(r"inputs\.([\w-]+)", expression)
    assert match, f"a step's env uses {expression!r}; this test only knows inputs.*"
    return given[match.group(1)]


@pytest.fixture
def project(make_repo: Callable[..., Path]) -> Path:
    """An MIT project with a GPL file in it: a license-conflict, and the GPL's text is missing."""
    return make_repo({"LICENSE": MIT_TEXT, "src/clean.py": "x = 1\n", "src/ops.py": GPL3_HEADER + "y = 2\n"})


# The metadata and its documentation


def test_action_yml_is_a_composite_action_with_the_documented_inputs_and_outputs() -> None:
    metadata = action()
    assert metadata["runs"]["using"] == "composite"
    assert metadata["name"] and metadata["description"]
    assert {"path", "config", "fail-on", "diff-base", "upload-sarif", "indexes", "version"} <= set(metadata["inputs"])
    assert set(metadata["outputs"]) == {"sarif-file", "findings", "sbom-file"}
    assert metadata["inputs"]["sbom"]["default"] == "", "no bill of materials unless asked for"
    assert metadata["inputs"]["path"]["default"] == "."
    assert metadata["inputs"]["upload-sarif"]["default"] == "true"
    docs = DOCS.read_text(encoding="utf-8")
    table_rows = {match.group(1) for match in re.finditer(r"^\| `([\w-]+)` \|", docs, re.MULTILINE)}
    assert set(metadata["inputs"]) | set(metadata["outputs"]) <= table_rows, "every input and output has a row"
    for name, spec in {**metadata["inputs"], **metadata["outputs"]}.items():
        assert spec.get("description"), name
    for output in metadata["outputs"].values():
        assert re.fullmatch(r"\$\{\{ steps\.(check|sbom)\.outputs\.[\w-]+ \}\}", output["value"])


def test_the_steps_only_call_scripts_and_never_paste_inputs_into_shell() -> None:
    steps = action()["runs"]["steps"]
    uses = {step["uses"].split("@")[0]: step for step in steps if "uses" in step}
    assert set(uses) == {"actions/setup-python", "github/codeql-action/upload-sarif", "actions/upload-artifact"}
    artifact = uses["actions/upload-artifact"]
    assert artifact["uses"].endswith("@v4") and "always()" in artifact["if"]
    assert artifact["with"]["path"] == "${{ steps.sbom.outputs.sbom-file }}"
    upload = uses["github/codeql-action/upload-sarif"]
    assert upload["uses"].endswith("@v3")
    assert "always()" in upload["if"] and "inputs.upload-sarif == 'true'" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ steps.check.outputs.sarif-file }}"
    for step in steps:
        if "run" not in step:
            continue
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "inputs reach scripts as environment variables, never as shell text"
        script = re.fullmatch(r'bash "\$GITHUB_ACTION_PATH/(scripts/action/[\w.]+\.sh)"', step["run"].strip())
        assert script and (ROOT / script.group(1)).is_file(), step["run"]
    assert [step.get("id") for step in steps if "run" in step].count("check") == 1


def test_the_docs_give_a_workflow_that_parses() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    workflows = [block for block in re.findall(r"```yaml\n(.*?)```", docs, re.DOTALL) if "jobs:" in block]
    assert workflows
    workflow = yaml.safe_load(workflows[0])
    assert workflow["permissions"] == {"contents": "read", "security-events": "write"}
    steps = next(iter(workflow["jobs"].values()))["steps"]
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert any(step.get("uses", "").startswith("lintml/lintml@") for step in steps)


# The steps, run


def test_a_gpl_file_in_an_mit_project_fails_the_check(project: Path, tmp_path: Path) -> None:
    run = run_steps(project, tmp_path / "runner")
    assert run.returncode == 1, run.stderr
    assert "lintml, version " in run.stdout  # the install step, with version: none, says which lintml runs
    annotations = [line for line in run.stdout.splitlines() if line.startswith("::")]
    assert any(
        line.startswith("::error file=src/ops.py,line=3,") and "title=license-conflict::" in line
        for line in annotations
    )

    sarif_file = Path(run.outputs["sarif-file"])
    assert sarif_file.is_file() and sarif_file.is_relative_to(tmp_path / "runner" / "temp")
    document = run.sarif()
    assert_valid_sarif(document)
    results = document["runs"][0]["results"]
    assert {result["ruleId"] for result in results} == {"license-conflict", "license-text"}
    assert run.sarif_paths() == {"src/ops.py"}
    assert run.outputs["findings"] == str(len(results)) == str(len(annotations))
    assert "license-conflict" in run.summary and "**fails**" in run.summary


@pytest.mark.parametrize(("fail_on", "expected"), [("", 1), ("error", 1), ("warning", 1), ("none", 0)])
def test_fail_on(project: Path, tmp_path: Path, fail_on: str, expected: int) -> None:
    run = run_steps(project, tmp_path / "runner", {"fail-on": fail_on})
    assert run.returncode == expected, run.stderr
    assert int(run.outputs["findings"]) >= 2


def test_a_clean_repository_passes(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "src/a.py": "# SPDX-License-Identifier: MIT\nx = 1\n"})
    run = run_steps(root, tmp_path / "runner", {"fail-on": "info"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.outputs["findings"] == "0"
    assert not [line for line in run.stdout.splitlines() if line.startswith("::")]
    document = run.sarif()
    assert_valid_sarif(document)
    assert document["runs"][0]["results"] == []
    assert document["runs"][0]["tool"]["driver"]["rules"], "SARIF lists every rule, fired or not"
    assert "The check passes." in run.summary


def test_a_warning_fails_only_at_fail_on_warning(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    # Weights without a model card: a `model-card` warning, and nothing at error.
    root = make_repo({"LICENSE": MIT_TEXT, "model/model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "})
    levels = {result["level"] for result in run_steps(root, tmp_path / "a").sarif()["runs"][0]["results"]}
    assert levels == {"warning"}
    assert run_steps(root, tmp_path / "b", {"fail-on": "error"}).returncode == 0
    assert run_steps(root, tmp_path / "c", {"fail-on": "warning"}).returncode == 1


def test_a_project_in_a_subfolder_is_reported_from_the_repository_top(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_repo({"README.md": "monorepo\n", "proj/LICENSE": MIT_TEXT, "proj/ops.py": GPL3_HEADER + "y = 2\n"})
    run = run_steps(root, tmp_path / "runner", {"path": "proj"})
    assert run.returncode == 1
    assert "::error file=proj/ops.py,line=3," in run.stdout
    assert run.sarif_paths() == {"proj/ops.py"}


def test_extra_indexes_and_a_missing_one(project: Path, tmp_path: Path) -> None:
    run = run_steps(project, tmp_path / "runner", {"indexes": "one.sqlite3\nsecond index.sqlite3\n"})
    assert run.returncode == 2
    assert "::error title=lintml::one.sqlite3: no such index file" in run.stdout
    assert "sarif-file" not in run.outputs


def pull_request_clone(base: dict[str, str | bytes], branch: dict[str, str | bytes], tmp_path: Path) -> Path:
    """A pull request's checkout as actions/checkout makes it by default: a shallow clone of the
    branch (depth 1), with the base branch not fetched. ``origin`` is a bare repository."""
    upstream = tmp_path / "upstream"
    repo = git.Repo.init(upstream, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "lintml tests")
        config.set_value("user", "email", "tests@lintml.invalid")
    write_tree(upstream, base)
    repo.index.add(list(base))
    repo.index.commit("base")
    repo.git.checkout("-b", "feature")
    write_tree(upstream, branch)
    repo.index.add(list(branch))
    repo.index.commit("the pull request")
    origin = tmp_path / "origin.git"
    git.Repo.clone_from(upstream, origin, bare=True)
    workspace = tmp_path / "workspace"
    git.Repo.clone_from(origin.as_uri(), workspace, depth=1, branch="feature")
    return workspace


def test_a_pull_request_checks_only_its_changes_against_the_base(tmp_path: Path) -> None:
    base = {"LICENSE": MIT_TEXT, "src/old.py": GPL3_HEADER + "old = 1\n", "src/a.py": "a = 1\n"}
    workspace = pull_request_clone(base, {"src/new.py": GPL3_HEADER + "new = 1\n", "src/a.py": "a = 2\n"}, tmp_path)
    assert git.Repo(workspace).git.rev_parse("--is-shallow-repository") == "true"

    run = run_steps(workspace, tmp_path / "runner", GITHUB_EVENT_NAME="pull_request", GITHUB_BASE_REF="main")
    assert run.returncode == 1, run.stderr
    assert "::notice title=lintml::a shallow clone" in run.stderr  # it fetched what the checkout left out
    assert run.sarif_paths() == {"src/new.py"}  # not src/old.py, which the base branch already had
    assert "2 files changed since `refs/remotes/origin/main`" in run.summary

    # The same checkout on a push (no base branch) checks every file; diff-base none does too.
    everything = run_steps(workspace, tmp_path / "push")
    # One GPL license from one holder in two files is one finding, naming the other file.
    assert "::error file=src/new.py," in everything.stdout and "(also: src/old.py)" in everything.stdout
    forced = run_steps(
        workspace, tmp_path / "none", {"diff-base": "none"}, GITHUB_EVENT_NAME="pull_request", GITHUB_BASE_REF="main"
    )
    assert "(also: src/old.py)" in forced.stdout


def test_fetching_the_base_runs_nothing_the_checkout_configures(tmp_path: Path) -> None:
    base = {"LICENSE": MIT_TEXT, "src/a.py": "a = 1\n"}
    workspace = pull_request_clone(base, {"src/new.py": GPL3_HEADER + "new = 1\n"}, tmp_path)
    marker = tmp_path / "ran"
    hooks = workspace / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    for name in ("reference-transaction", "post-checkout", "post-merge", "pre-auto-gc"):
        (hooks / name).write_text(f"#!/bin/sh\necho {name} >> {marker}\n", encoding="utf-8")
        (hooks / name).chmod(0o755)
    with git.Repo(workspace).config_writer() as config:
        config.set_value("core", "fsmonitor", f"echo fsmonitor >> {marker}; true")
    run = run_steps(workspace, tmp_path / "runner", GITHUB_EVENT_NAME="pull_request", GITHUB_BASE_REF="main")
    assert run.returncode == 1, run.stderr
    assert "::notice title=lintml::a shallow clone" in run.stderr  # the fetches did happen
    assert run.sarif_paths() == {"src/new.py"}
    assert not marker.exists(), marker.read_text(encoding="utf-8")


def test_a_clean_pull_request_passes_whatever_the_base_holds(tmp_path: Path) -> None:
    base = {"LICENSE": MIT_TEXT, "src/old.py": GPL3_HEADER + "old = 1\n"}
    workspace = pull_request_clone(base, {"src/new.py": "# SPDX-License-Identifier: MIT\nnew = 1\n"}, tmp_path)
    run = run_steps(workspace, tmp_path / "runner", GITHUB_EVENT_NAME="pull_request", GITHUB_BASE_REF="main")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.outputs["findings"] == "0"


def test_a_mistyped_input_is_an_error_on_the_run_page(project: Path, tmp_path: Path) -> None:
    run = run_steps(project, tmp_path / "runner", {"fail-on": "errors"})
    assert run.returncode == 2
    assert run.stdout.splitlines()[-1].startswith("::error title=lintml::argument --fail-on: invalid choice: 'errors'")


def test_an_explicit_diff_base_that_does_not_exist(project: Path, tmp_path: Path) -> None:
    run = run_steps(project, tmp_path / "runner", {"diff-base": "no-such-branch"})
    assert run.returncode == 2
    assert "::error title=lintml::no-such-branch: no such commit, branch or tag" in run.stdout
    assert "could not run" in run.summary


# The install step, with a stand-in for python that records what it was asked


@pytest.mark.parametrize(
    ("version", "requirement"),
    [("", str(ROOT)), ("0.1.0", "lintml==0.1.0"), ("lintml>=0.1,<1", "lintml>=0.1,<1")],
)
def test_the_install_step_installs_what_version_names(tmp_path: Path, version: str, requirement: str) -> None:
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    log = tmp_path / "calls"
    fake = bin_folder / "python"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\n', encoding="utf-8")
    fake.chmod(0o755)
    (install,) = [step for step in action()["runs"]["steps"] if step.get("name") == "Install lintml"]
    environment = {
        **os.environ,
        "PATH": f"{bin_folder}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_ACTION_PATH": str(ROOT),
        "INPUT_VERSION": version,
    }
    done = subprocess.run(["bash", "-c", install["run"]], env=environment, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[0].startswith("-m pip install ") and calls[0].endswith(f" -- {requirement}")
    assert calls[1] == "-m lintml.cli --version"


@pytest.mark.parametrize(("sbom", "name"), [("cyclonedx", "lintml.cdx.json"), ("spdx", "lintml.spdx.json")])
def test_the_sbom_input_writes_a_bill_of_materials(project: Path, tmp_path: Path, sbom: str, name: str) -> None:
    run = run_steps(project, tmp_path / "runner", {"sbom": sbom, "fail-on": "none"})
    assert run.returncode == 0, run.stderr
    written = Path(run.outputs["sbom-file"])
    assert written == tmp_path / "runner" / "temp" / "lintml" / name
    document = json.loads(written.read_text(encoding="utf-8"))
    assert document.get("specVersion") == "1.6" if sbom == "cyclonedx" else document["spdxVersion"] == "SPDX-2.3"


def test_no_sbom_by_default_and_a_mistyped_one_is_an_error(project: Path, tmp_path: Path) -> None:
    quiet = run_steps(project, tmp_path / "quiet", {"fail-on": "none"})
    assert quiet.returncode == 0 and "sbom-file" not in quiet.outputs
    assert not list((tmp_path / "quiet").rglob("lintml.*.json"))
    wrong = run_steps(project, tmp_path / "wrong", {"sbom": "xml", "fail-on": "none"})
    assert wrong.returncode == 2
    assert "::error title=lintml::the sbom input is cyclonedx, spdx or spdx-tagvalue" in wrong.stdout + wrong.stderr
