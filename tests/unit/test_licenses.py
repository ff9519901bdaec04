"""License knowledge: aliases normalise to SPDX ids and the compatibility table says what may be combined."""

from __future__ import annotations

import pytest

from lintml.licenses import compatible, shipped_knowledge

KNOWLEDGE = shipped_knowledge()


@pytest.mark.parametrize(
    ("raw", "spdx"),
    [
        ("MIT License", "MIT"),
        ("License :: OSI Approved :: Apache Software License", "Apache-2.0"),
        ("apache-2.0", "Apache-2.0"),
        ("GPL-3.0+", "GPL-3.0-or-later"),
        ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("llama3.1", "LicenseRef-llama3.1"),
        ("mit OR apache-2.0", "MIT OR Apache-2.0"),
    ],
)
def test_aliases_normalise(raw: str, spdx: str) -> None:
    assert KNOWLEDGE.normalize_expression(raw) == spdx


def test_unknown_names_are_not_guessed() -> None:
    assert KNOWLEDGE.normalize_expression("My Own License v7") is None


@pytest.mark.parametrize(
    ("project", "inbound", "verdict"),
    [
        ("MIT", "GPL-3.0-or-later", False),
        ("Apache-2.0", "AGPL-3.0-only", False),
        ("GPL-2.0-only", "Apache-2.0", False),
        ("GPL-3.0-only", "Apache-2.0", True),
        ("GPL-2.0-or-later", "Apache-2.0", True),
        ("MIT", "Apache-2.0", True),
        ("Apache-2.0", "MIT", True),
        ("MIT", "MPL-2.0", True),
        ("MIT", "LGPL-2.1-only", False),
        ("GPL-3.0-only", "LGPL-2.1-only", True),
        ("GPL-3.0-or-later", "GPL-2.0-only", False),
        ("GPL-3.0-only", "AGPL-3.0-only", True),
        ("BSD-3-Clause", "Unlicense", True),
        ("ISC", "CC0-1.0", True),
        ("BSD-2-Clause", "GPL-2.0-or-later", False),
        ("MIT OR Apache-2.0", "GPL-3.0-only", False),
        ("MIT", "GPL-3.0-only OR MIT", True),
        ("MIT", "MIT AND GPL-2.0-only", False),
        ("LicenseRef-custom", "GPL-3.0-only", None),
        ("MIT", "LicenseRef-unknown", None),
    ],
)
def test_compatibility(project: str, inbound: str, verdict: bool | None) -> None:
    assert compatible(KNOWLEDGE, project, inbound) is verdict


def test_required_licenses_are_covered() -> None:
    required = {
        "MIT",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "ISC",
        "Apache-2.0",
        "MPL-2.0",
        "LGPL-2.1-only",
        "LGPL-3.0-only",
        "GPL-2.0-only",
        "GPL-2.0-or-later",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
        "AGPL-3.0-only",
        "Unlicense",
        "CC0-1.0",
    }
    assert required <= set(KNOWLEDGE.compatible_into)


def test_obligations_are_data() -> None:
    assert "§4(a)" in KNOWLEDGE.copy_of_license["Apache-2.0"]
    assert "CC0-1.0" not in KNOWLEDGE.copy_of_license and "Unlicense" not in KNOWLEDGE.copy_of_license
    llama3 = KNOWLEDGE.model_terms.licenses["LicenseRef-llama3"]
    notice = next(duty for duty in llama3.duties if duty.kind == "notice-file")
    assert notice.text is not None and notice.text.startswith("Meta Llama 3 is licensed under")


@pytest.mark.parametrize("base", ["GPL-2.0", "GPL-3.0", "LGPL-2.1", "LGPL-3.0", "AGPL-3.0"])
def test_gnu_licenses_have_a_version_choice(base: str) -> None:
    assert KNOWLEDGE.version_base(f"{base}-only") == base
    assert KNOWLEDGE.version_base(f"{base}-or-later") == base


def test_licenses_without_an_or_later_have_no_version_choice() -> None:
    assert KNOWLEDGE.version_base("GFDL-1.3-only") is None  # lintml knows no GFDL-1.3-or-later
    assert KNOWLEDGE.version_base("Apache-2.0") is None
    assert KNOWLEDGE.version_base("LicenseRef-only") is None


def test_same_licenses_with_open_versions() -> None:
    # A bare text (AGPL-3.0 open) fits either choice; without it, "only" and "or later" differ.
    assert KNOWLEDGE.same_licenses("AGPL-3.0-only", "AGPL-3.0-or-later", frozenset({"AGPL-3.0"}))
    assert not KNOWLEDGE.same_licenses("AGPL-3.0-only", "AGPL-3.0-or-later")
    assert not KNOWLEDGE.same_licenses("AGPL-3.0-only", "MIT", frozenset({"AGPL-3.0"}))
    assert not KNOWLEDGE.same_licenses("AGPL-3.0-only", "GPL-3.0-or-later", frozenset({"AGPL-3.0"}))
    assert KNOWLEDGE.same_licenses("GPL-2.0-only OR MIT", "MIT OR GPL-2.0-or-later", frozenset({"GPL-2.0"}))
    # Only the license left open is: an open GPL-2.0 says nothing of GPL-3.0's versions.
    assert not KNOWLEDGE.same_licenses(
        "GPL-2.0-only OR GPL-3.0-only", "GPL-2.0-or-later OR GPL-3.0-or-later", frozenset({"GPL-2.0"})
    )
