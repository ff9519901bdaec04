"""Errors against origins only, and what a file says of its own history.

An upstream file that holds only other holders' code (its copyright lines name third parties, not its
project) is a carrier: a copy of that code may have come from the origin instead, so the duties it carries
are warnings. Credits whose origin is on the next line, and notes that say how the code was reworked
("inspired by", "copied from X and added Y"), are read as such. Real git repositories, real indexes,
``lintml.api`` in-process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import git

from lintml import api
from lintml.facts.headers import change_notes, comment_syntax, numbered_credit_lines
from lintml.findings import Finding
from lintml.provenance.upstream import UpstreamSpec
from tests.copying import rename, stdlib_source, strip_and_reformat, top_level_definitions
from tests.helpers import MIT_TEXT, apache_text

CODE = strip_and_reformat(stdlib_source("textwrap"))
COPY = rename(CODE, {"TextWrapper": "Folder", "wrap": "fold"})
CARRIER_LICENSE = MIT_TEXT.replace("Test Authors", "Carrierkit Authors")


def _index(tmp_path: Path, make_repo: Callable[..., Path], fold_header: str) -> Path:
    """An index of carrierkit (MIT, its own holder in its LICENSE and its other files), whose fold.py
    (textwrap's code) opens with ``fold_header``."""
    own = "# Copyright 2023 Carrierkit Authors\n# SPDX-License-Identifier: MIT\n\nVALUE = 1\n"
    upstream = make_repo(
        {"LICENSE": CARRIER_LICENSE, "carrierkit/fold.py": fold_header + CODE, "carrierkit/own.py": own},
        name="carrierkit",
    )
    index = tmp_path / "index.sqlite3"
    spec = UpstreamSpec("carrierkit", str(upstream), "MIT", url="https://github.com/carrierkit/carrierkit")
    api.index_add([spec], index_path=index)
    return index


def _findings(local: Path, index: Path) -> list[Finding]:
    return list(api.check([local], indexes=[index], use_catalog=False, use_cache=False).findings)


def test_an_upstream_file_holding_only_a_third_partys_code_is_a_carrier(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """carrierkit's fold.py carries only Example Lab's notice: carrierkit holds Example Lab's code there, and a
    copy of it may come from Example Lab. The notice it lacks is owed, as a warning, not an error."""
    index = _index(tmp_path, make_repo, "# Copyright 2021 Example Lab\n# SPDX-License-Identifier: MIT\n")
    local = make_repo({"LICENSE": MIT_TEXT, "fold.py": COPY}, name="local")
    (notice,) = [item for item in _findings(local, index) if item.rule == "copyright-notice"]
    assert notice.severity == "warning" and notice.grade is not None and notice.grade.level == "moderate"
    assert "carries only other holders' notices, not carrierkit's (Copyright 2021 Example Lab" in notice.grade.why
    assert "Example Lab" in notice.message


def test_the_same_code_under_the_upstreams_own_notice_stays_an_error(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """The counterpart: when the upstream file names its own project's holder, it is the origin as far as
    lintml can tell, and the notice the copy lacks is an error."""
    index = _index(tmp_path, make_repo, "# Copyright 2023 Carrierkit Authors\n# SPDX-License-Identifier: MIT\n")
    local = make_repo({"LICENSE": MIT_TEXT, "fold.py": COPY}, name="local")
    (notice,) = [item for item in _findings(local, index) if item.rule == "copyright-notice"]
    assert notice.severity == "error" and notice.grade is not None and notice.grade.level == "strong"
    assert "Carrierkit Authors" in notice.message


def test_a_verbatim_copy_claiming_its_own_holder_beside_a_third_partys_opening_line_is_a_warning(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """xformers' attention kernels and DeepSpeed's are the same code token for token; DeepSpeed's files open
    with NVIDIA's line, then Microsoft's; xformers' name Meta only. Both may hold NVIDIA's code: a warning."""
    header = "# Copyright 2021 Example Lab\n# Copyright 2023 Carrierkit Authors\n# SPDX-License-Identifier: MIT\n"
    index = _index(tmp_path, make_repo, header)
    manifest = '[project]\nname = "ownkit"\nauthors = [{name = "Ownkit Team"}]\n'
    own_header = "# Copyright 2024 Ownkit Team\n# SPDX-License-Identifier: MIT\n"
    files = {"LICENSE": MIT_TEXT.replace("Test Authors", "Ownkit Team"), "pyproject.toml": manifest}
    local = make_repo({**files, "fold.py": own_header + CODE}, name="local")
    (notice,) = [item for item in _findings(local, index) if item.rule == "copyright-notice"]
    assert notice.grade is not None and notice.grade.level == "moderate" and notice.severity == "warning"
    assert "opens with another holder's notice (Copyright 2021 Example Lab" in notice.grade.why
    # Without a header of its own, the copy claims no holder: the verbatim copy is carrierkit's, an error.
    (local / "fold.py").write_text(CODE, encoding="utf-8")
    (notice,) = [item for item in _findings(local, index) if item.rule == "copyright-notice"]
    assert notice.severity == "error"


def test_a_credit_whose_origin_is_on_the_next_line_names_it() -> None:
    address = "https://huggingface.co/databricks/dbrx-base/blob/main/configuration_dbrx.py"
    text = f"# coding=utf-8\n# Copied from\n# {address}\nX = 1\n"
    assert numbered_credit_lines(text, comment_syntax("config.py")) == ((2, f"# Copied from # {address}"),)
    # A credit that names its origin on its own line takes nothing from the next.
    text = "# Adapted from https://github.com/example/kit\n# Copyright 2024 Sam Roe\n"
    assert numbered_credit_lines(text, comment_syntax("config.py")) == (
        (1, "# Adapted from https://github.com/example/kit"),
    )


def test_credits_in_other_words() -> None:
    """Modified ... from original at: <address>; is referred to <address>; downloaded from."""
    syntax = comment_syntax("opt.py")
    for text, name in (
        ("# Modified for reduced dependencies from original at: https://github.com/iShohei220/adopt", "opt.py"),
        ("# The implementation is referred to https://github.com/nwojke/deep_sort", "kalman.py"),
        ("// Downloaded from from FasterTransformer v5.2.1", "attention.cu"),
    ):
        found = numbered_credit_lines(f"{text}\nint x = 1;\n", comment_syntax(name))
        assert found == ((1, text),), text
    # Not credits: everyday words.
    text = "# computed from the original image size\n# the value is referred by index\nX = 1\n"
    assert numbered_credit_lines(text, syntax) == ()


def test_notes_that_say_how_the_code_was_reworked_are_change_notes() -> None:
    syntax = comment_syntax("detr.py")
    address = "https://github.com/facebookresearch/detr/blob/master/models/segmentation.py#L218"
    body = f"import torch\n\n\ndef post_process(x):\n    # inspired by {address}\n    return x\n"
    assert [line for line, _ in change_notes(body, syntax)] == [5]
    origin = "HuggingFaceM4/siglip-so400m-14-980-flash-attn2-navit"
    header = f'"""PyTorch Siglip model."""\n# Copied from  {origin} and add tgt_sizes\nimport os\n'
    assert [line for line, _ in change_notes(header, syntax)] == [2]
    # Saying where code came from is not saying it was changed.
    plain = '"""Siglip."""\n# Copied from HuggingFaceM4/siglip-so400m-14-980-flash-attn2-navit\nimport os\n'
    assert change_notes(plain, syntax) == ()


def test_code_its_upstream_has_since_relicensed_is_under_the_newer_license_too(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """DINOv2 moved from CC-BY-NC-4.0 to Apache-2.0: code copied from the old release, which the new one still
    holds, conflicts with nothing in an Apache-2.0 project. Without the later release, the conflict stands."""
    from tests.helpers import apache_text

    extra = "\n\ndef shout(text):\n    return text.upper() + '!'\n"
    old = make_repo({"LICENSE": "Attribution-NonCommercial 4.0 International\n", "kit/fold.py": CODE}, name="old")
    new = make_repo({"LICENSE": apache_text(), "kit/fold.py": CODE + extra}, name="new")
    url = "https://github.com/example/kit"
    specs = [
        UpstreamSpec("kit", str(old), "CC-BY-NC-4.0", url=url, version="1.0", released="2023-04-27T09:13:12Z"),
        UpstreamSpec("kit", str(new), "Apache-2.0", url=url, version="2.0", released="2025-08-14T16:26:59Z"),
    ]
    index = tmp_path / "index.sqlite3"
    api.index_add(specs, index_path=index)
    local = make_repo({"LICENSE": apache_text(), "fold.py": COPY}, name="local")
    findings = _findings(local, index)
    (traced,) = [item for item in findings if item.rule == "provenance"]
    assert traced.upstream is not None and traced.upstream.version == "1.0"
    assert "kit 2.0 holds it too, under Apache-2.0" in traced.message
    assert not [item for item in findings if item.rule == "license-conflict"]
    # CC BY-NC 4.0 asks a modified copy to say so, as Apache-2.0 does: the renamed copy says nothing.
    (changed,) = [item for item in findings if item.rule == "change-notice"]
    assert changed.license == "CC-BY-NC-4.0" and "CC BY-NC 4.0 §3(a)(1)(B)" in changed.message
    # The new release reworked the file (a part of the copied code is left in it): still the same file, relicensed.
    (new / "kit/fold.py").write_text(top_level_definitions(CODE, ["dedent", "indent"]), encoding="utf-8")
    git.Repo(new).index.add(["kit/fold.py"])
    git.Repo(new).index.commit("rework")
    api.index_add(specs, index_path=index)
    assert not [item for item in _findings(local, index) if item.rule == "license-conflict"]
    api.index_add(specs[:1], index_path=index)  # the old release alone
    (conflict,) = [item for item in _findings(local, index) if item.rule == "license-conflict"]
    assert conflict.severity == "error" and conflict.license == "CC-BY-NC-4.0"


def test_a_license_file_naming_the_holder_as_a_later_release_words_it_keeps_the_notice(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """ggml's LICENSE said "Copyright (c) 2022 Georgi Gerganov", later "The ggml authors"; llama.cpp, vendored
    with the later wording beside it, keeps the notice of code from the older release."""
    from tests.helpers import apache_text

    extra = "\n\ndef shout(text):\n    return text.upper() + '!'\n"
    old = make_repo({"LICENSE": MIT_TEXT.replace("Test Authors", "Sam Roe"), "kit/fold.py": CODE}, name="old")
    new = make_repo({"LICENSE": MIT_TEXT.replace("Test Authors", "The kit authors"), "kit/fold.py": CODE + extra})
    url = "https://github.com/example/kit"
    specs = [
        UpstreamSpec("kit", str(old), "MIT", url=url, version="1.0", released="2022-03-01T00:00:00Z"),
        UpstreamSpec("kit", str(new), "MIT", url=url, version="2.0", released="2024-06-01T00:00:00Z"),
    ]
    index = tmp_path / "index.sqlite3"
    api.index_add(specs, index_path=index)
    vendored = MIT_TEXT.replace("Test Authors", "The kit authors")
    files = {"LICENSE": apache_text(), "vendor/kit/LICENSE": vendored, "vendor/kit/fold.py": COPY}
    local = make_repo(files, name="local")
    findings = _findings(local, index)
    (traced,) = [item for item in findings if item.rule == "provenance"]
    assert traced.upstream is not None and traced.upstream.version == "1.0"
    assert not [item for item in findings if item.rule == "copyright-notice"]
    api.index_add(specs[:1], index_path=index)  # the old release alone: its holder's line is not kept
    (notice,) = [item for item in _findings(local, index) if item.rule == "copyright-notice"]
    assert "Sam Roe" in notice.message and notice.severity == "error"


def test_a_license_paragraph_that_says_no_code_was_used_does_not_license_the_code() -> None:
    """timm's convnext.py: ConvNeXt's MIT notice licenses its code; the ConvNeXt-V2 paragraph names CC BY-NC 4.0
    for the weights, saying no code was used: not a license of this file's code."""
    from lintml.facts.cache import FactCache
    from lintml.facts.extract import FactExtractor
    from lintml.repository import PYTHON, RepoFile

    mit = (
        "# ConvNeXt\n# Copyright (c) Meta Platforms, Inc. and affiliates.\n# This source code is licensed under MIT.\n"
    )
    nc = (
        "# ConvNeXt-V2\n# Copyright (c) Meta Platforms, Inc. and affiliates.\n"
        "# This source code is licensed under the Attribution-NonCommercial 4.0 International (CC BY-NC 4.0) license\n"
    )
    weights = "# No code was used directly from ConvNeXt-V2, however the weights are CC BY-NC 4.0.\n"
    extractor = FactExtractor(FactCache(None))

    def licenses(text: str) -> set[str]:
        data = text.encode()
        return {
            notice.expression for notice in extractor.facts(RepoFile("convnext.py", PYTHON, len(data)), data).notices
        }

    assert {"MIT", "CC-BY-NC-4.0"} <= licenses(f"{mit}\n{nc}\nimport torch\n")
    disowned = licenses(f"{mit}\n{nc}{weights}\nimport torch\n")
    assert "MIT" in disowned and "CC-BY-NC-4.0" not in disowned


def test_a_license_at_the_top_of_the_folder_named_as_the_project_is_its_license(
    make_repo: Callable[..., Path],
) -> None:
    """sentencepiece's sdist holds the Python package's setup at its top and its LICENSE at the top of the
    bundled tree it builds from, sentencepiece/: the project has a license. A license in another folder (a
    vendored library's) is not the project's."""
    from tests.helpers import apache_text

    files = {
        "pyproject.toml": '[project]\nname = "kitpiece"\n',
        "kitpiece/LICENSE": apache_text(),
        "kitpiece/src/trainer.cc": "int main() { return 0; }\n",
        "python/kitpiece.py": "VALUE = 1\n",
    }
    local = make_repo(files, name="local")
    result = api.check([local], use_catalog=False, use_cache=False)
    assert not [item for item in result.findings if item.rule == "license-missing"]
    (local / "pyproject.toml").write_text('[project]\nname = "otherkit"\n', encoding="utf-8")
    result = api.check([local], use_catalog=False, use_cache=False)
    (missing,) = [item for item in result.findings if item.rule == "license-missing"]
    assert missing.severity == "error"


def test_a_later_release_date_alone_does_not_say_who_took_the_code(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """ultralytics 8.2.0 (April 2024) held SAM's code before the catalogued segment-anything commit (September
    2024), yet SAM published it in April 2023: a snapshot's date is when it was taken, not when its code was
    written. A release of this project holding the code before the matched version's date changes no grade."""
    from tests.helpers import apache_text

    url = "https://github.com/example/wrapkit"
    own = make_repo({"LICENSE": apache_text(), "wrapkit/fold.py": CODE}, name="own")
    later = make_repo({"LICENSE": apache_text(), "later/fold.py": COPY}, name="later")
    specs = [
        UpstreamSpec("wrapkit", str(own), "Apache-2.0", url=url, version="1.0", released="2024-04-17T04:38:46Z"),
        UpstreamSpec("laterkit", str(later), "Apache-2.0", url="https://github.com/other/laterkit", version="0.1",
                     released="2024-09-18T00:00:00Z"),
    ]  # fmt: skip
    index = tmp_path / "index.sqlite3"
    api.index_add(specs, index_path=index)
    manifest = f'[project]\nname = "wrapkit"\n[project.urls]\nRepository = "{url}"\n'
    local = make_repo({"LICENSE": apache_text(), "pyproject.toml": manifest, "wrapkit/fold.py": CODE}, name="local")
    findings = _findings(local, index)
    (traced,) = [item for item in findings if item.rule == "provenance"]
    assert traced.upstream is not None and traced.upstream.name == "laterkit"
    assert traced.grade is not None and traced.grade.level == "strong"
    assert [item.severity for item in findings if item.rule == "change-notice"] == ["error"]


def test_a_verbatim_copy_of_a_small_file_is_moderate_evidence(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    """timm's 8-line Linear layer sits word for word in LAVIS: a copy, but too small to tell who took it from
    whom. A verbatim copy below the substantial size is moderate evidence; above it, strong."""
    small = top_level_definitions(CODE, ["indent"])
    upstream = make_repo({"LICENSE": CARRIER_LICENSE, "kit/small.py": small, "kit/fold.py": CODE}, name="kit")
    index = tmp_path / "index.sqlite3"
    api.index_add([UpstreamSpec("kit", str(upstream), "MIT")], index_path=index)
    local = make_repo({"LICENSE": MIT_TEXT, "small.py": small, "fold.py": CODE}, name="local")
    grades = {item.path: item.grade for item in _findings(local, index) if item.rule == "provenance"}
    assert grades["small.py"] is not None and grades["small.py"].level == "moderate"
    assert grades["small.py"].why.startswith("a verbatim copy of a small upstream file;")
    assert grades["fold.py"] is not None and grades["fold.py"].level == "strong"


def test_a_credit_naming_another_file_of_the_upstream_does_not_make_the_matched_file_the_source(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """vllm's mmq.cuh says "copied from .../ggml-cuda/mmq.cu"; lintml matched ggml's SYCL port, a file carrying
    only Intel's notice. The credit names ggml, but another file of it: the carrier's duties stay warnings.
    Naming the matched file itself makes it the source: errors."""
    index = _index(tmp_path, make_repo, "# Copyright 2021 Example Lab\n# SPDX-License-Identifier: MIT\n")
    address = "https://github.com/carrierkit/carrierkit/blob/main/carrierkit"
    local = make_repo({"LICENSE": MIT_TEXT, "fold.py": f"# Copied from {address}/other.py\n" + COPY}, name="local")
    (traced,) = [item for item in _findings(local, index) if item.rule == "provenance"]
    assert traced.grade is not None and traced.grade.level == "moderate"
    (local / "fold.py").write_text(f"# Copied from {address}/fold.py\n" + COPY, encoding="utf-8")
    (traced,) = [item for item in _findings(local, index) if item.rule == "provenance"]
    assert traced.grade is not None and traced.grade.level == "strong"


def _readme_index(
    tmp_path: Path, make_repo: Callable[..., Path], readme: str, folder: str = "carrierkit", tag: str = ""
) -> Path:
    """An index of carrierkit whose fold.py (under ``folder``) carries carrierkit's own notice, and whose
    README is ``readme``."""
    header = "# Copyright 2023 Carrierkit Authors\n# SPDX-License-Identifier: MIT\n"
    files = {"LICENSE": CARRIER_LICENSE, f"{folder}/fold.py": header + CODE, "README.md": readme}
    upstream = make_repo(files, name=f"carrierkit{tag}")
    index = tmp_path / f"index{tag}.sqlite3"
    spec = UpstreamSpec("carrierkit", str(upstream), "MIT", url="https://github.com/carrierkit/carrierkit")
    api.index_add([spec], index_path=index)
    return index


OWNKIT_MANIFEST = (
    '[project]\nname = "ownkit"\nauthors = [{name = "Sam Roe"}]\n\n'
    '[project.urls]\nRepository = "https://github.com/ownkit/ownkit"\n'
)


def _ownkit(make_repo: Callable[..., Path]) -> Path:
    """ownkit (MIT, Sam Roe's, at github.com/ownkit/ownkit) with a renamed copy of carrierkit's fold.py."""
    files = {"LICENSE": MIT_TEXT.replace("Test Authors", "Sam Roe"), "pyproject.toml": OWNKIT_MANIFEST}
    return make_repo({**files, "fold.py": COPY}, name="local")


def _notice(local: Path, index: Path) -> Finding:
    (notice,) = [item for item in _findings(local, index) if item.rule == "copyright-notice"]
    return notice


def test_an_upstream_whose_readme_credits_this_projects_owner_may_have_taken_the_code_from_here(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """YOLOv9 thanks ultralytics/yolov5 in its README: the code ultralytics shares with it most likely went
    from ultralytics to YOLOv9. The notice a copy lacks is then a warning, and says why."""
    readme = "# Carrierkit\n\nFast folding.\n\n## Acknowledgements\n\n* https://github.com/ownkit/oldkit\n"
    local = _ownkit(make_repo)
    index = _readme_index(tmp_path, make_repo, readme)
    recorded, _ = api.index_info("carrierkit", index_path=index)
    assert recorded.acknowledged == ("github.com/ownkit/oldkit",)
    notice = _notice(local, index)
    assert notice.severity == "warning" and notice.grade is not None and notice.grade.level == "moderate"
    assert "carrierkit's README credits github.com/ownkit/oldkit, a repository of this project's owner" in (
        notice.grade.why
    )
    # A README that only mentions the repository, outside any credit, says nothing of where code came from.
    mention = "# Carrierkit\n\nBenchmarks against https://github.com/ownkit/oldkit are in docs/.\n"
    assert _notice(local, _readme_index(tmp_path, make_repo, mention, tag="2")).severity == "error"


def test_an_upstream_naming_this_projects_author_among_its_developers_shares_its_code(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """open_clip's README says its development is led by Ross Wightman, timm's author: code the two share may
    be his own, moved between his projects. A warning, not an error."""
    readme = "# Carrierkit\n\nCurrent development of this repository is led by [Sam Roe](https://roe.example).\n"
    local = _ownkit(make_repo)
    notice = _notice(local, _readme_index(tmp_path, make_repo, readme))
    assert notice.severity == "warning" and notice.grade is not None
    assert "carrierkit names Sam Roe, an author of this project, among its developers (Sam Roe)" in notice.grade.why
    # Someone else leading it is no tie to this project.
    readme = readme.replace("Sam Roe", "Ann Lee")
    assert _notice(local, _readme_index(tmp_path, make_repo, readme, tag="2")).severity == "error"


def test_a_file_in_a_folder_named_after_a_credited_repository_is_that_repositorys_code(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """auto-gptq keeps turboderp's kernels in exllamav2/ and thanks github.com/turboderp/exllamav2 in its README:
    its file there carries that repository's code, and a copy may come from it directly."""
    readme = "# Carrierkit\n\n## Acknowledgement\n- Special thanks to turbo for [Fastkern](https://github.com/turbo/fastkern).\n"
    index = _readme_index(tmp_path, make_repo, readme, folder="carrierkit/fastkern")
    local = make_repo({"LICENSE": MIT_TEXT, "fold.py": COPY}, name="local")
    notice = _notice(local, index)
    assert notice.severity == "warning" and notice.grade is not None
    assert "sits in fastkern/, named after github.com/turbo/fastkern, which carrierkit's README credits" in (
        notice.grade.why
    )
    # A repository named like a folder every project has (tensorflow/models) says nothing of folders so named.
    readme = "# Carrierkit\n\n## Acknowledgement\n- [Models](https://github.com/tensorflow/models)\n"
    index = _readme_index(tmp_path, make_repo, readme, folder="carrierkit/models", tag="2")
    assert _notice(local, index).severity == "error"


STALE_HEADER = (
    "# Copyright (c) 2015-present, Example Labs.\n# All rights reserved.\n#\n"
    "# This source code is licensed under the CC-by-NC license found in the\n"
    "# LICENSE file in the root directory of this source tree.\n#\n"
)


def test_a_notice_pointing_at_a_license_file_that_now_grants_a_fitting_license_is_stale(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """facebookresearch/convit's headers still say "the CC-by-NC license found in the LICENSE file", but its
    LICENSE file became Apache-2.0; timm's copy keeps the header. The name in the notice is stale, the file it
    points at decides: the conflict is a warning that says so. Without the upstream to show it, an error."""
    upstream = make_repo({"LICENSE": apache_text(), "kit.py": STALE_HEADER + CODE}, name="convitkit")
    index = tmp_path / "index.sqlite3"
    api.index_add([UpstreamSpec("convitkit", str(upstream), "auto")], index_path=index)
    local = make_repo({"LICENSE": apache_text(), "kit.py": STALE_HEADER + COPY}, name="local")

    def conflict(indexes: list[Path]) -> Finding:
        result = api.check([local], indexes=indexes, use_catalog=False, use_cache=False)
        (found,) = [item for item in result.findings if item.rule == "license-conflict"]
        return found

    stale = conflict([index])
    assert stale.severity == "warning" and stale.grade is not None and stale.grade.level == "moderate"
    assert "points at the LICENSE file of the project this code came from" in stale.grade.why
    assert "grants Apache-2.0" in stale.grade.why
    assert conflict([]).severity == "error"


def test_a_credit_right_above_a_class_speaks_for_the_code_copied_into_it(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """transformers' FLAVA masking generator says "# Inspired from .../beit/masking_generator.py" above its class,
    whose copied code starts after a docstring and a method of its own, more than a few lines below: the credit
    still speaks for it, so the match to DINOv2's copy of the same BEiT code is a shared ancestor, not a source.
    The same credit above another function says nothing of this class."""
    wrapper = top_level_definitions(CODE, ["TextWrapper"])
    header = "# Copyright 2023 Carrierkit Authors\n# SPDX-License-Identifier: MIT\n\n"
    upstream = make_repo({"LICENSE": CARRIER_LICENSE, "kit/fold.py": header + wrapper}, name="carrierkit")
    index = tmp_path / "index.sqlite3"
    api.index_add([UpstreamSpec("carrierkit", str(upstream), "MIT")], index_path=index)
    own_start = (
        'class Folder:\n    """Folds text.\n\n    Wraps and fills.\n    """\n\n'
        "    def describe(self, label, limit=3):\n        parts = [label] * limit\n"
        "        joined = '-'.join(parts)\n        return joined.upper()\n\n"
    )
    body = rename(wrapper, {"TextWrapper": "Folder"}).replace("class Folder:\n", own_start, 1)
    credit = "# Inspired from https://github.com/example/origin/blob/main/wrap.py\n"
    opening = "import os\n\nVALUE = os.sep\n\n\n"
    elsewhere = f"\n\n{credit}def other():\n    return VALUE\n"

    def notices(text: str) -> list[Finding]:
        (local / "fold.py").write_text(text, encoding="utf-8")
        return [item for item in _findings(local, index) if item.rule == "copyright-notice"]

    local = make_repo({"LICENSE": MIT_TEXT, "fold.py": opening + credit + body}, name="local")
    (traced,) = [item for item in _findings(local, index) if item.rule == "provenance"]
    assert traced.line is not None and traced.line > opening.count("\n") + 1 + 5  # the copy starts well below
    assert "this file credits another origin (# Inspired from https://github.com/example/origin" in traced.message
    assert notices(opening + credit + body) == []
    (notice,) = notices(opening + body + elsewhere)
    assert notice.severity == "error"


def test_a_credit_above_a_function_whose_signature_spans_lines_covers_its_body() -> None:
    """Formatters put a long signature's closing bracket back at the definition's indent: the body goes on."""
    from lintml.derivation import _heads_copied_code

    source = "x = 1\n# Inspired from https://github.com/a/b\ndef f(\n    a,\n) -> None:\n    y = a\n    return y\n"
    source += "\n\nz = 2\n"
    lines = source.splitlines()
    assert _heads_copied_code(lines, 2, ((6, 7),))
    assert not _heads_copied_code(lines, 2, ((10, 10),))  # code after the function is not under the credit
