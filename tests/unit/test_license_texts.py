"""Tests of license texts read from the installed scancode-toolkit's data files (no mocks)."""

from __future__ import annotations

import pytest
import yaml

from lintml.facts import license_texts
from lintml.facts.license_texts import license_text, scancode_key

# SPDX id -> phrases its text must contain.
TEXTS = {
    "Apache-2.0": ["Apache License", "Version 2.0, January 2004", "TERMS AND CONDITIONS"],
    "MIT": ["Permission is hereby granted, free of charge"],
    "BSD-3-Clause": ["Redistribution and use in source and binary forms", "Neither the name of"],
    "GPL-3.0-only": ["GNU GENERAL PUBLIC LICENSE", "Version 3, 29 June 2007"],
    "GPL-3.0-or-later": ["any later version", "Version 3, 29 June 2007"],
    "LGPL-2.1-only": ["GNU LESSER GENERAL PUBLIC LICENSE", "Version 2.1, February 1999"],
    "ISC": ["Permission to use, copy, modify, and/or distribute this software"],
    "LicenseRef-scancode-llama-2-license-2023": ["LLAMA 2 COMMUNITY LICENSE AGREEMENT"],
}


@pytest.mark.parametrize("spdx_id", sorted(TEXTS))
def test_license_text(spdx_id: str) -> None:
    text = license_text(spdx_id)
    assert text is not None
    for phrase in TEXTS[spdx_id]:
        assert phrase in text
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    assert not text.startswith(("---", "\n"))
    assert "spdx_license_key:" not in text
    assert "\r" not in text


def test_only_and_or_later_are_different_keys() -> None:
    assert scancode_key("GPL-3.0-only") == "gpl-3.0"
    assert scancode_key("GPL-3.0-or-later") == "gpl-3.0-plus"
    assert scancode_key("LGPL-2.1-only") == "lgpl-2.1"
    assert scancode_key("LGPL-2.1-or-later") == "lgpl-2.1-plus"
    only, later = license_text("GPL-3.0-only"), license_text("GPL-3.0-or-later")
    assert only is not None and later is not None
    assert "any later version" not in only.split("TERMS AND CONDITIONS")[0]
    assert later.startswith("This program is free software")


def test_ids_are_case_insensitive_and_older_ids_work() -> None:
    assert license_text("apache-2.0") == license_text("Apache-2.0")
    assert scancode_key(" MIT ") == "mit"
    assert scancode_key("GPL-3.0") == "gpl-3.0"  # the deprecated SPDX id for GPL-3.0-only
    assert scancode_key("GPL-3.0+") == "gpl-3.0-plus"
    assert scancode_key("BSD-3-Clause") == "bsd-new"


def test_licenseref_scancode_ids() -> None:
    # scancode's own id for a key without an SPDX id, even where the key differs from the id's tail
    assert scancode_key("LicenseRef-scancode-x11-xconsortium_veillard") == "x11-xconsortium-veillard"
    assert scancode_key("LicenseRef-scancode-public-domain") == "public-domain"
    assert scancode_key("LicenseRef-scancode-mit") == "mit"  # the scancode key form of any license


def test_unknown_ids_return_none() -> None:
    assert license_text("No-Such-License-1.0") is None
    assert license_text("") is None
    assert license_text("MIT OR Apache-2.0") is None  # an expression, not an id
    assert license_text("LicenseRef-scancode-../../etc/passwd") is None
    assert license_text("LicenseRef-scancode-public-domain") is None  # a name without a text


def test_front_matter_reader_agrees_with_yaml() -> None:
    folder = license_texts._licenses_dir()
    assert folder is not None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    paths = sorted(folder.glob("*.LICENSE"))
    assert len(paths) > 1000
    for path in paths:
        front_matter, _ = license_texts._split_front_matter(path.read_text(encoding="utf-8"))
        expected = yaml.load(front_matter.strip().strip("-"), Loader=loader)
        fields = license_texts._front_matter_fields(front_matter.splitlines(keepends=True))
        for name in ("spdx_license_key", "other_spdx_license_keys"):
            value = expected.get(name) or []
            assert fields.get(name, []) == ([value] if isinstance(value, str) else value), (path.name, name)
        assert (fields.get("is_deprecated") == ["yes"]) == bool(expected.get("is_deprecated")), path.name


def test_every_current_spdx_id_maps_to_its_own_license() -> None:
    keys = license_texts._keys_by_spdx_id()
    assert len(keys) > 2000
    assert keys["apache-2.0"] == "apache-2.0"
    assert keys["mit"] == "mit"
    assert all("/" not in key and "\\" not in key for key in keys.values())
