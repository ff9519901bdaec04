"""Model-license knowledge is data: a new family is a YAML change, and the YAML is validated key by key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from lintml.api import check_source
from lintml.config import Config
from lintml.licenses import load_knowledge, shipped_knowledge
from lintml.models.duties import PREDICATES
from lintml.models.terms import load_model_terms
from lintml.repository import MemorySource
from lintml.rules import RuleError, rules_directory

ACME = {
    "id": "LicenseRef-acme",
    "name": "Acme Model License",
    "family": "acme",
    "hub": False,
    "url": "https://acme.example/model-license",
    "commercial": True,
    "recognise": ["ACME MODEL LICENSE"],
    "license_names": ["acme-model-license"],
    "duties": [
        {
            "duty": "notice-file",
            "clause": "§2",
            "text": "Acme Model is licensed under the Acme Model License.",
            "summary": "Every copy keeps the Acme notice in a NOTICE file.",
        },
        {
            "duty": "name-prefix",
            "clause": "§3",
            "text": "Acme",
            "applies_to": ["finetune"],
            "summary": "Derived models are named beginning with Acme.",
        },
    ],
}


def _knowledge_folder(tmp_path: Path) -> tuple[Path, dict]:
    """A copy of the shipped rules folder, and its models.yaml read for editing."""
    folder = tmp_path / "rules"
    shutil.copytree(rules_directory(), folder)
    return folder, yaml.safe_load((folder / "licenses" / "models.yaml").read_text(encoding="utf-8"))


def _write(folder: Path, models: dict) -> Path:
    path = folder / "licenses" / "models.yaml"
    path.write_text(yaml.safe_dump(models, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


CARD = (
    "---\nlicense: other\nlicense_name: acme-model-license\nbase_model_relation: finetune\n---\n"
    "# SuperChat 8B\n\nA fine-tune.\n"
)


def test_a_new_family_is_a_yaml_change(tmp_path: Path) -> None:
    folder, models = _knowledge_folder(tmp_path)
    models["families"]["acme"] = {"own_license": True, "summary": "Acme's model license"}
    models["licenses"]["acme-model-license"] = ACME
    _write(folder, models)
    knowledge = load_knowledge(folder)
    source = MemorySource({"README.md": CARD, "config.json": '{"model_type": "llama", "hidden_size": 64}'})

    found = check_source(source, Config(), knowledge=knowledge).findings
    duties = sorted(finding.message for finding in found if finding.rule == "model-license-duty")
    assert duties == [
        'the model\'s name "SuperChat 8B" does not begin with "Acme"; the Acme Model License (the card\'s own'
        " license) requires it (§3: Derived models are named beginning with Acme.)",
        'there is no Notice file with the sentence "Acme Model is licensed under the Acme Model License."; the'
        " Acme Model License (the card's own license) requires it (§2: Every copy keeps the Acme notice in a NOTICE"
        " file.)",
    ]
    fixes = sorted(finding.fix for finding in found if finding.rule == "model-license-duty")
    assert fixes == [
        "add a NOTICE file containing: Acme Model is licensed under the Acme Model License.",
        'name the model "Acme ..." in the card (model-index name or first heading)',
    ]
    # The shipped knowledge knows no Acme: the same repository has no duty to meet.
    shipped = check_source(source, Config()).findings
    assert not [finding for finding in shipped if finding.rule == "model-license-duty"]

    # A family whose licenses are also used for original work: a card's own license binds nothing.
    models["families"]["acme"]["own_license"] = False
    _write(folder, models)
    unbound = check_source(source, Config(), knowledge=load_knowledge(folder)).findings
    assert not [finding for finding in unbound if finding.rule == "model-license-duty"]


def test_the_shipped_duty_kinds_name_registered_predicates() -> None:
    terms = shipped_knowledge().model_terms
    checked = {kind.name: kind for kind in terms.duty_kinds.values() if kind.predicate is not None}
    assert {kind.predicate.name for kind in checked.values() if kind.predicate} <= set(PREDICATES)
    assert {kind.rule for kind in checked.values()} == {"model-license-duty", "model-attribution"}
    assert checked["notice-file"].repair == "notice-sentence"
    assert all(terms.families[entry.family] for entry in terms.licenses.values())
    assert {name for name, family in terms.families.items() if family.own_license} == {"llama", "gemma", "qwen"}


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (lambda models: models["families"]["llama"].update(own=True), "unknown key 'own' in family 'llama'"),
        (
            lambda models: models["duty_kinds"]["display"].update(check="shown-somewhere"),
            "duty kind 'display': unknown check 'shown-somewhere' (registered predicates:",
        ),
        (
            lambda models: models["duty_kinds"]["display"]["reasons"].update(hidden="{text} is hidden"),
            "duty kind 'display': `reasons` must give wording for exactly missing",
        ),
        (
            lambda models: models["duty_kinds"]["display"].update(fix=["show {phrase}"]),
            "duty kind 'display': unknown placeholder {phrase}",
        ),
        (lambda models: models["duty_kinds"]["display"].update(rule="model-card"), "unknown rule 'model-card'"),
        (lambda models: models["licenses"]["llama2"].update(family="meta"), "unknown family 'meta'"),
        (lambda models: models["licenses"]["llama2"].update(famly="llama"), "unknown key 'famly' in license 'llama2'"),
        (
            lambda models: models["licenses"]["llama2"]["duties"][0].update(duty="agreement"),
            "license 'llama2': unknown duty 'agreement'",
        ),
        (lambda models: models.pop("duty_kinds"), "models.yaml is missing the key 'duty_kinds'"),
    ],
)
def test_malformed_model_knowledge_is_refused_naming_the_file(tmp_path: Path, edit, error: str) -> None:
    folder, models = _knowledge_folder(tmp_path)
    edit(models)
    path = _write(folder, models)
    with pytest.raises(RuleError) as raised:
        load_model_terms(folder)
    assert str(raised.value).startswith(f"{path}: ")
    assert error in str(raised.value)
