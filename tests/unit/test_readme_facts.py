"""What an upstream's README says of it: the repositories it credits and who develops it."""

from __future__ import annotations

from lintml.provenance.readme import MAX_ACKNOWLEDGED, acknowledged_repositories, developer_lines


def test_addresses_in_a_section_of_thanks_are_credited() -> None:
    readme = (
        "# Kit\n\nSee https://github.com/other/benchmarks for numbers.\n\n"
        "## Acknowledgements\n\n<details><summary>Expand</summary>\n\n"
        "* [https://github.com/AlexeyAB/darknet](https://github.com/AlexeyAB/darknet)\n"
        "* https://github.com/ultralytics/yolov5.git\n\n</details>\n\n## Citation\n\nhttps://github.com/cite/me\n"
    )
    assert acknowledged_repositories(readme) == ("github.com/alexeyab/darknet", "github.com/ultralytics/yolov5")


def test_an_rst_title_opens_a_section_and_a_crediting_line_counts_anywhere() -> None:
    readme = (
        "Kit\n===\n\nThis code is based on https://github.com/foo/bar and installs from github.com/pip/pip.\n\n"
        "Credits\n-------\n\nhttps://gitlab.com/Team/Thing\n\nUsage\n-----\n\nhttps://github.com/not/credited\n"
    )
    assert acknowledged_repositories(readme) == (
        "github.com/foo/bar",
        "github.com/pip/pip",  # on the crediting line: the line is the unit
        "gitlab.com/team/thing",
    )


def test_credited_addresses_are_capped_and_site_pages_are_not_repositories() -> None:
    lines = "\n".join(f"* https://github.com/owner/repo{number}" for number in range(MAX_ACKNOWLEDGED + 10))
    found = acknowledged_repositories(f"## Thanks\n{lines}\n* https://github.com/sponsors/someone\n")
    assert len(found) == MAX_ACKNOWLEDGED and "github.com/sponsors/someone" not in found


def test_who_develops_the_project() -> None:
    readme = (
        "Current development of this repository is led by [Ross Wightman](https://rwightman.com/), "
        "[Cade Gordon](http://cadegordon.io/), and Vaishaal Shankar.\n"
        "**Maintainers:** Ann Lee, Bo Chen\n"
        "The model was trained by many people.\n"
    )
    assert developer_lines(readme) == ("Ross Wightman, Cade Gordon, Vaishaal Shankar", "Ann Lee, Bo Chen")
    assert developer_lines("# Kit\n\nA toolkit written in Rust, maintained by the Kit team.\n") == ("Kit team",)


def test_prose_after_the_words_is_no_list_of_names() -> None:
    readme = (
        "Parts of it were written by NVIDIA that is licensed under the Apache License.\n"
        "Vicuna is created by fine-tuning a LLaMA base model on conversations.\n"
        "The demo is maintained by ourselves.\n"
    )
    assert developer_lines(readme) == ()


def test_code_blocks_are_not_read_and_other_github_sites_are_no_repositories() -> None:
    readme = (
        "## Credits\n\n```bash\n# reference setup\ngit clone https://github.com/some/tool\n```\n"
        "Thanks to https://github.com/kind/people; see gist.github.com/a/b and docs.github.com/en/actions.\n"
        "## Install\n\n~~~\n## Thanks\n~~~\nhttps://github.com/not/credited\n"
    )
    assert acknowledged_repositories(readme) == ("github.com/kind/people",)


def test_a_hostile_line_is_read_only_so_far() -> None:
    """One line of half a megabyte of brackets is cut before any pattern reads it (patterns over unbalanced
    brackets take time growing with the square of the line)."""
    assert acknowledged_repositories("## Thanks\n" + "[" * 500_000) == ()
    assert developer_lines("Maintained by " + "[](" * 170_000) == ()
