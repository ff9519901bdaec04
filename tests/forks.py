"""How the audit tests build a fork of two upstreams: real git repositories in a temporary folder.

``core`` is an Apache-2.0 project shaped like a released package (LICENSE, NOTICE, PKG-INFO, a
manifest naming its authors, docs, code with Apache headers, two empty ``__init__.py`` files);
``helpers`` is an MIT project. The fork is a clone of ``core`` (so the two share history) that
keeps the manifest, strips two Apache headers, changes code with and without a change notice,
reformats a file, copies and moves files, takes a modified MIT file from ``helpers`` and adds
many files of its own. The code is the running Python's standard library, read, never imported.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import git

from tests.copying import stdlib_source

APACHE_HEADER = (
    "# Copyright 2023 The Core Authors.\n"
    "#\n"
    '# Licensed under the Apache License, Version 2.0 (the "License");\n'
    "# you may not use this file except in compliance with the License.\n"
)
MIT_HEADER = "# Copyright (c) 2022 Helper Devs\n# SPDX-License-Identifier: MIT\n"
MIT_TEXT = (
    "MIT License\n\nCopyright (c) 2022 Helper Devs\n\nPermission is hereby granted, free of charge, to any person"
    ' obtaining a copy of this software and associated documentation files (the "Software"), to deal in the'
    " Software without restriction, including without limitation the rights to use, copy, modify, merge, publish,"
    " distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is"
    " furnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission"
    " notice shall be included in all copies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED"
    ' "AS IS", WITHOUT WARRANTY OF ANY KIND.\n'
)
CORE_MODULES = ("colorsys", "shlex", "pprint", "heapq", "bisect", "fnmatch", "glob", "sched")
NEW_FILES = 40  # files of the fork's own: the text report lists every one of them
DOCS = 12  # documentation pages of core, copied unchanged: more than core's code files


@dataclass(frozen=True)
class Fork:
    root: Path
    core: Path
    helpers: Path


def _commit(repo: git.Repo, message: str) -> None:
    repo.git.add("-A")
    repo.index.commit(message)


def _repository(root: Path, files: dict[str, str], who: str) -> git.Repo:
    root.mkdir(parents=True)
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", who)
        config.set_value("user", "email", f"{who.replace(' ', '.')}@example.invalid")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    _commit(repo, "first release")
    return repo


def _added_code(name: str) -> str:
    return f"\n\ndef {name}(items, limit=10):\n    kept = [item for item in items if item]\n    return kept[:limit]\n"


def build_fork(tmp_path: Path) -> Fork:
    apache = (Path(__file__).resolve().parent.parent / "LICENSE").read_text(encoding="utf-8")
    core_files = {
        "LICENSE": apache,
        "NOTICE": "Core\nCopyright 2023 The Core Authors.\n",
        "PKG-INFO": "Metadata-Version: 2.1\nName: core\nVersion: 1.0\nLicense: Apache-2.0\n",
        "pyproject.toml": (
            '[project]\nname = "core"\nversion = "1.0"\nlicense = "Apache-2.0"\n'
            'authors = [{name = "The Core Authors"}]\n'
        ),
        "README.md": "# Core\n\nThe original project, for people who need it.\nInstall it with pip install core.\n"
        "Then import core and call it.\nQuestions go to the issue tracker.\n",
        "core/__init__.py": "",
        "core/sub/__init__.py": "",
        **{f"docs/page_{n}.md": f"# Page {n}\n\nHow to use part {n} of core.\n" for n in range(DOCS)},
        **{f"core/{name}.py": APACHE_HEADER + stdlib_source(name) for name in CORE_MODULES},
    }
    core = tmp_path / "core"
    _repository(core, core_files, "core dev")
    helpers = tmp_path / "helpers"
    _repository(
        helpers,
        {
            "LICENSE": MIT_TEXT,
            "pyproject.toml": '[project]\nname = "helpers"\nversion = "0.3"\nlicense = "MIT"\n',
            "helpers/calendar_tools.py": MIT_HEADER + stdlib_source("calendar"),
        },
        "helper dev",
    )

    root = tmp_path / "fork"
    repo = git.Repo.clone_from(str(core), root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "fork dev")
        config.set_value("user", "email", "dev@fork.invalid")

    def write(name: str, text: str) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")

    # Two Apache headers stripped, nothing else changed.
    write("core/colorsys.py", stdlib_source("colorsys"))
    write("core/shlex.py", stdlib_source("shlex"))
    # Code changed: once without a word, once with a change notice.
    write("core/pprint.py", core_files["core/pprint.py"] + _added_code("first_few"))
    write(
        "core/heapq.py",
        core_files["core/heapq.py"].replace(APACHE_HEADER, APACHE_HEADER + "# Modified by the fork: added top_few.\n")
        + _added_code("top_few"),
    )
    # Layout only: reindented by two spaces a level, header kept.
    write(
        "core/bisect.py",
        re.sub(r"(?m)^( +)", lambda found: " " * (len(found.group(1)) // 2), core_files["core/bisect.py"]),
    )
    # The README changed; the LICENSE, NOTICE, package metadata, manifest and docs kept as they are.
    write("README.md", core_files["README.md"].replace("# Core", "# Fork") + "Now with more features than ever.\n")
    # A copy of a file beside the original, and a file moved.
    write("vendor/fnmatch.py", core_files["core/fnmatch.py"])
    (root / "lib").mkdir()
    subprocess.run(["git", "-C", str(root), "mv", "core/glob.py", "lib/glob.py"], check=True)
    # An MIT file taken from helpers, its header stripped and code added.
    write("lib/calendar_tools.py", stdlib_source("calendar") + _added_code("busy_days"))
    # Many files of the fork's own.
    for n in range(NEW_FILES):
        write(f"ours/data_{n:02d}.txt", f"fork note {n}: {n * 7919 % 1009} units of {'x' * (n % 5 + 1)}\n")
    write("ours/compile_tools.py", stdlib_source("codeop"))
    _commit(repo, "the fork's changes")
    return Fork(root, core, helpers)
