"""The fork audit as one self-contained HTML page, for people to read offline.

``render_audit_html(report, sources)`` turns the JSON object of ``docs/audit-json.md`` and the
texts of the paired files into a single file: inline CSS, inline JavaScript, no network (the style
sheet and the script are package data, ``assets/audit.css`` and ``assets/audit.js``). The
summary, the chart, the file table, the models and the obligations are plain HTML written
here; each pair's side-by-side view is built by the page's script when the pair is opened, from
data kept in a ``<script type="application/json">`` block, so a report of thousands of files
opens quickly. File texts and paths are untrusted: every one is HTML-escaped, and data never
becomes script (a content security policy allows only the page's own script, by hash).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from lintml.findings import SEVERITIES
from lintml.report import AUDIT_FORMATTERS
from lintml.report.audit_json import KINDS

LINES_SHOWN = 2000  # lines per side of a pair view; the rest is left out with a note
TENSORS_SHOWN = 12  # the weakest tensor pairs listed per model comparison
# Okabe-Ito colours: told apart with the common colour-vision deficiencies too.
KIND_COLORS = {
    "identical": "#d55e00",
    "reformatted": "#e69f00",
    "renamed": "#cc79a7",
    "modified": "#0072b2",
    "partial": "#56b4e9",
    "new": "#999999",
}
_OTHER_COLOR = "#666666"
# Characters HTML does not allow in a document (controls, lone surrogates, noncharacters): shown as U+FFFD.
_NOT_IN_HTML = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_SEVERITY_ORDER = tuple(reversed(SEVERITIES))  # error first

_CHART_WIDTH = 1200
_CHART_HEIGHT = 280
_CHART_LEFT = 110
_CHART_RIGHT = 10
_CHART_TOP = 16
_CHART_BOTTOM = 16


@cache
def _asset(name: str) -> str:
    """A file of ``lintml/report/assets`` (shipped as package data), as text."""
    from importlib import resources  # here, not at the top: lintml.report imports this module on every run

    return resources.files("lintml.report").joinpath("assets", name).read_text(encoding="utf-8")


# The line of assets/audit.css where the rules colouring each kind go, written from KIND_COLORS.
_KIND_RULES = "/* .k-KIND { background: ... } for each kind: written from KIND_COLORS in audit_html.py */\n"


@cache
def _style() -> str:
    """The page's style sheet: assets/audit.css with a colour rule for each kind."""
    rules = "".join(f".k-{kind} {{ background: {color}; }}\n" for kind, color in KIND_COLORS.items())
    style = _asset("audit.css")
    if style.count(_KIND_RULES) != 1:
        raise RuntimeError("lintml/report/assets/audit.css lost its line for the kind colours")
    return style.replace(_KIND_RULES, rules)


@AUDIT_FORMATTERS.register("html")
def render_audit_html(report: Mapping[str, Any], sources: Mapping[str, Mapping[str, str]]) -> str:
    """The whole page for an audit ``report``; ``sources`` maps "fork" and each upstream's name to {path: text}.

    A paired file whose text is missing from ``sources`` is shown as not included. The same
    input always gives the same text.
    """
    files = [entry for entry in _list(report.get("files")) if isinstance(entry, Mapping)]
    pairs = [(index, entry) for index, entry in enumerate(files) if _is_pair(entry)]
    fork = _mapping(report.get("fork"))
    upstreams = [item for item in _list(report.get("upstreams")) if isinstance(item, Mapping)]
    title = f"lintml audit: {fork.get('source') or 'fork'}"
    if upstreams:
        title += " against " + ", ".join(str(item.get("name") or "?") for item in upstreams)
    data = {"pairs": {str(index): _pair_data(entry, sources) for index, entry in pairs}}
    body = "\n".join(
        [
            _summary(report, files),
            _chart(files, pairs),
            _files_table(files, pairs),
            _pairs(pairs),
            _models(report),
            _obligations(report),
        ]
    )
    import base64
    import hashlib  # here, not at the top: lintml.report imports this module on every run

    script = _asset("audit.js")  # the page's one script: it reads data with JSON.parse, writes with textContent
    script_hash = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    policy = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'"
    )
    nav = "".join(
        f'<a href="#{anchor}">{label}</a>'
        for anchor, label in (
            ("summary", "Summary"),
            ("chart", "Similarity"),
            ("files", "Files"),
            ("pairs", "Pairs"),
            ("models", "Models"),
            ("obligations", "Obligations"),
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(policy)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="lintml ' + escape(str(report.get("lintml") or "")) + '">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{escape(title)}</title>\n<style>{_style()}</style>\n</head>\n<body>\n"
        f'<header class="top"><h1>{escape(title)}</h1><nav>{nav}</nav></header>\n'
        '<noscript><p class="note">The side-by-side views, sorting and filtering need JavaScript.</p></noscript>\n'
        f"<main>\n{body}\n</main>\n"
        f'<script type="application/json" id="audit-data">{_json_for_script(data)}</script>\n'
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


# -- data ------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """``text`` for HTML text or a quoted attribute value."""
    from html import escape as html_escape  # as above

    return html_escape(_NOT_IN_HTML.sub("\ufffd", text))


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _is_pair(entry: Mapping[str, Any]) -> bool:
    return entry.get("kind") != "new" and bool(entry.get("upstream_path"))


def _ranges(value: Any) -> list[tuple[int, int]]:
    """Valid [first, last] line ranges, in the order given."""
    ranges = []
    for item in _list(value):
        if isinstance(item, list | tuple) and len(item) == 2 and all(type(part) is int for part in item):
            first, last = item
            if 1 <= first <= last:
                ranges.append((first, last))
    return ranges


def _renames(entry: Mapping[str, Any]) -> list[tuple[str, str, int | None]]:
    renames = []
    for item in _list(entry.get("renames")):
        if isinstance(item, Mapping) and isinstance(item.get("from"), str) and isinstance(item.get("to"), str):
            count = item.get("count")
            renames.append((item["from"], item["to"], count if type(count) is int else None))
    return renames


def _split_lines(text: str) -> list[str]:
    """Lines numbered as lintml numbers them: split at "\\n", a trailing "\\r" dropped."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _segments(
    fork_count: int, upstream_count: int, lines: list[tuple[int, int]], upstream_lines: list[tuple[int, int]]
) -> list[list[int]]:
    """Blocks [fork first, fork last, upstream first, upstream last, copied region?] that face each other.

    ``fork_count`` and ``upstream_count`` are the lines shown on each side. When both sides list
    the same number of copied ranges, each side's in order, the k-th ranges face each other and
    so do the gaps between them (ranges past the lines shown are cut or left out on both sides).
    Otherwise the two files make one block. The page aligns lines within a block when it opens.
    """
    ordered = all(a[1] < b[0] for side in (lines, upstream_lines) for a, b in itertools.pairwise(side))
    if len(lines) != len(upstream_lines) or not ordered or not fork_count or not upstream_count:
        return [[1, fork_count, 1, upstream_count, 0]]
    segments = []
    fork_next, upstream_next = 1, 1
    for (first, last), (up_first, up_last) in zip(lines, upstream_lines, strict=True):
        if first > fork_count or up_first > upstream_count:
            break
        last, up_last = min(last, fork_count), min(up_last, upstream_count)
        segments.append([fork_next, first - 1, upstream_next, up_first - 1, 0])
        segments.append([first, last, up_first, up_last, 1])
        fork_next, upstream_next = last + 1, up_last + 1
    segments.append([fork_next, fork_count, upstream_next, upstream_count, 0])
    return [segment for segment in segments if segment[0] <= segment[1] or segment[2] <= segment[3]]


def _side(text: Any) -> tuple[list[str] | None, int]:
    if not isinstance(text, str):
        return None, 0
    lines = _split_lines(text)
    return lines[:LINES_SHOWN], len(lines)


def _pair_data(entry: Mapping[str, Any], sources: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    fork_text = _mapping(sources.get("fork")).get(str(entry.get("path")))
    upstream_text = _mapping(sources.get(str(entry.get("upstream")))).get(str(entry.get("upstream_path")))
    fork_lines, fork_total = _side(fork_text)
    upstream_lines, upstream_total = _side(upstream_text)
    fork_ranges, upstream_ranges = _ranges(entry.get("lines")), _ranges(entry.get("upstream_lines"))
    segments = _segments(len(fork_lines or ()), len(upstream_lines or ()), fork_ranges, upstream_ranges)
    return {
        "fork": fork_lines,
        "fork_total": fork_total,
        "upstream": upstream_lines,
        "upstream_total": upstream_total,
        "lines": [list(item) for item in fork_ranges],
        "upstream_lines": [list(item) for item in upstream_ranges],
        "segments": segments,
        "renames": [[old, new, count] for old, new, count in _renames(entry)],
        "moved": entry.get("moved") is True,
        "change_notice": entry.get("change_notice") is True,
        "change_notice_owed": entry.get("change_notice_owed") is True,
        "upstream_license": str(entry.get("upstream_license") or ""),
        "owed": [item for item in _list(entry.get("owed")) if isinstance(item, str)],
        "stripped_notices": [item for item in _list(entry.get("stripped_notices")) if isinstance(item, str)],
        "also_from": [
            [str(item.get("upstream_path") or ""), _percent_text(item.get("fork_share"))]
            for item in _list(entry.get("also_from"))
            if isinstance(item, Mapping)
        ],
        "split_with": [item for item in _list(entry.get("split_with")) if isinstance(item, str)],
        "commits": [
            [str(commit.get(key) or "") for key in ("sha", "date", "author", "summary")]
            for commit in _list(entry.get("commits"))
            if isinstance(commit, Mapping)
        ],
    }


def _json_for_script(data: Any) -> str:
    """JSON that cannot end its <script> element: "<", ">" and "&" are written as \\u escapes."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# -- formatting ------------------------------------------------------------------------------


def _text(value: Any, missing: str = "—") -> str:
    if value is None or value == "":
        return missing
    return escape(str(value))


def _percent_text(value: Any) -> str:
    share = _number(value)
    if share is None:
        return "—"
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{share * 100:.0f}%"


def _percent(value: Any) -> str:
    return escape(_percent_text(value))


def _count(value: Any) -> str:
    number = _number(value)
    return "—" if number is None else f"{number:,.0f}"


def _kind_class(kind: str) -> str:
    return kind if kind in KIND_COLORS else "other"


def _kind(kind: Any) -> str:
    name = str(kind or "unknown")
    return f'<span class="kind k-{_kind_class(name)}">{escape(name)}</span>'


def _upstream_label(entry: Mapping[str, Any]) -> str:
    name, path = entry.get("upstream"), entry.get("upstream_path")
    if not path:
        return ""
    return f"{escape(str(name))}: {escape(str(path))}" if name else escape(str(path))


def _short_sha(value: Any) -> str:
    if not value:
        return "—"
    text = str(value)
    return f'<code title="{escape(text)}">{escape(text[:12])}</code>'


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _plural_count(value: Any, noun: str) -> str:
    number = _number(value)
    return f"— {noun}s" if number is None else _plural(int(number), noun)


def _kind_rank(kind: Any) -> int:
    """Where a kind stands in tables: the kinds in KINDS order, unknown ones after."""
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


def _changed_first(entries: list[tuple[int, Mapping[str, Any]]]) -> list[tuple[int, Mapping[str, Any]]]:
    """Files other than identical ones, in kind order (new last) and by path within a kind."""
    return sorted(
        (item for item in entries if item[1].get("kind") != "identical"),
        key=lambda item: (_kind_rank(item[1].get("kind")), str(item[1].get("path")), item[0]),
    )


def _identical(entries: list[tuple[int, Mapping[str, Any]]]) -> list[tuple[int, Mapping[str, Any]]]:
    return sorted(
        (item for item in entries if item[1].get("kind") == "identical"),
        key=lambda item: (str(item[1].get("path")), item[0]),
    )


def _change_notice_cell(entry: Mapping[str, Any]) -> tuple[str, str, str]:
    """(text, css class, title) of a file's change-notice cell: a verdict only where a change notice is owed."""
    if not entry.get("upstream_path"):
        return "—", "none", "nothing came from the upstreams"
    if entry.get("change_notice_owed") is not True:
        return "not owed", "none", "identical, not code, or taken from code whose license asks for no change notice"
    license = str(entry.get("upstream_license") or "its license")
    if entry.get("change_notice") is True:
        return "yes", "yes", f"modified from {license} code, and it says that it was changed"
    return "missing", "no", f"modified from {license} code, and nothing says that it was changed"


def _sort_number(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _share_bar(value: Any) -> str:
    share = _number(value)
    if share is None:
        return '<span class="num">—</span>'
    width = max(0.0, min(share, 1.0)) * 100
    return f'<span class="bar"><span class="fill" style="width:{width:.1f}%"></span></span>{_percent(share)}'


# -- sections --------------------------------------------------------------------------------


def _summary(report: Mapping[str, Any], files: list[Mapping[str, Any]]) -> str:
    fork = _mapping(report.get("fork"))
    summary = _mapping(report.get("summary"))
    upstreams = [item for item in _list(report.get("upstreams")) if isinstance(item, Mapping)]
    parts = ['<section id="summary">', "<h2>Summary</h2>", '<div class="cards">']
    parts.append(
        '<div class="card"><h3>Fork</h3><dl>'
        f"<dt>source</dt><dd><code>{_text(fork.get('source'))}</code></dd>"
        f"<dt>ref</dt><dd>{_text(fork.get('ref'))}</dd>"
        f"<dt>commit</dt><dd>{_short_sha(fork.get('commit'))}</dd>"
        f"<dt>files</dt><dd>{_count(fork.get('files'))} ({_count(fork.get('code_files'))} code)</dd>"
        "</dl></div>"
    )
    for upstream in upstreams:
        parts.append(
            f'<div class="card"><h3>Upstream {_text(upstream.get("name"))}</h3><dl>'
            f"<dt>source</dt><dd><code>{_text(upstream.get('source'))}</code></dd>"
            f"<dt>version</dt><dd>{_text(upstream.get('version'))}</dd>"
            f"<dt>license</dt><dd>{_text(upstream.get('license'), 'unknown')}</dd>"
            f"<dt>ref</dt><dd>{_text(upstream.get('ref'))}</dd>"
            f"<dt>commit</dt><dd>{_short_sha(upstream.get('commit'))}</dd>"
            f"<dt>merge base</dt><dd>{_short_sha(upstream.get('merge_base'))}</dd>"
            f"<dt>files</dt><dd>{_count(upstream.get('files'))} ({_count(upstream.get('code_files'))} code)</dd>"
            "</dl></div>"
        )
    parts.append("</div>")

    by_kind = _mapping(summary.get("by_kind"))
    kinds = list(KINDS) + sorted(str(kind) for kind in by_kind if kind not in KINDS)
    parts.append('<h3>Files by kind</h3><ul class="kinds">')
    for kind in kinds:
        parts.append(f"<li>{_kind(kind)} <strong>{_count(by_kind.get(kind, 0))}</strong></li>")
    parts.append("</ul>")

    copied, code = _number(summary.get("copied_lines")), _number(summary.get("code_lines"))
    facts = [
        f"<dt>files in the fork</dt><dd>{_count(summary.get('files', len(files)))}</dd>",
        f"<dt>moved / split / merged</dt><dd>{_count(summary.get('moved'))} / {_count(summary.get('split'))}"
        f" / {_count(summary.get('merged'))}</dd>",
        f"<dt>copied share of the fork's code</dt><dd>{_share_bar(summary.get('copied_share'))}"
        + (f" ({copied:,.0f} of {code:,.0f} lines)" if copied is not None and code is not None else "")
        + "</dd>",
        f"<dt>upstream files the fork holds</dt><dd>{_count(summary.get('upstream_files_used'))} of"
        f" {_count(summary.get('upstream_files'))} upstream files, whole or in part"
        f" ({_count(summary.get('upstream_code_files_used'))} of {_count(summary.get('upstream_code_files'))}"
        " code files)</dd>",
        f"<dt>stripped notices</dt><dd>{_count(summary.get('stripped_notices'))} in"
        f" {_plural_count(summary.get('stripped_files'), 'file')}"
        + (" (owed: restoring them, listed under Obligations)" if _number(summary.get("stripped_notices")) else "")
        + "</dd>",
        f"<dt>change notices</dt><dd>owed by {_plural_count(summary.get('change_notices_owed'), 'modified file')}"
        f" (Apache-2.0 §4(b) and the like), missing from {_count(summary.get('change_notices_missing'))}</dd>",
    ]
    models = [item for item in _list(report.get("models")) if isinstance(item, Mapping)]
    if models:
        related = sum(1 for item in models if item.get("related") is True)
        verdicts = ", ".join(
            f"<code>{_text(item.get('fork_path'))}</code>: "
            + ("looks derived" if item.get("related") is True else "does not look derived")
            for item in models
        )
        facts.append(f"<dt>models</dt><dd>{related} of {len(models)} look derived ({verdicts})</dd>")
    else:
        facts.append("<dt>models</dt><dd>no model folders paired</dd>")
    severities = _severity_counts(report)
    unchecked = summary.get("obligations_checked") is False
    facts.append(
        "<dt>obligations owed</dt><dd>"
        + f"{_count(sum(severities.values()))}: "
        + " ".join(
            f'<span class="sev s-{name}">{_plural(count, name) if name != "info" else f"{count} info"}</span>'
            for name, count in severities.items()
        )
        + (" (<code>lintml check</code> not run: only what the pairs show)" if unchecked else "")
        + "</dd>"
    )
    seconds = _number(summary.get("seconds"))
    if seconds is not None:
        facts.append(f"<dt>audit took</dt><dd>{seconds:.1f} s</dd>")
    facts.append(
        f"<dt>report</dt><dd>{_text(report.get('format'))} version {_text(report.get('version'))},"
        f" lintml {_text(report.get('lintml'))}</dd>"
    )
    parts.append('<dl class="facts">' + "".join(facts) + "</dl>")
    parts.append("</section>")
    return "\n".join(parts)


def _severity_counts(report: Mapping[str, Any]) -> dict[str, int]:
    counts = dict.fromkeys(_SEVERITY_ORDER, 0)
    for finding in _list(report.get("obligations")):
        severity = _mapping(finding).get("severity")
        if severity in counts:
            counts[severity] += 1
    return counts


def _chart(files: list[Mapping[str, Any]], pairs: list[tuple[int, Mapping[str, Any]]]) -> str:
    parts = ['<section id="chart">', "<h2>Similarity across files</h2>"]
    shown = [(index, entry) for index, entry in pairs if _number(entry.get("fork_share")) is not None]
    if not shown:
        parts.append('<p class="note">No file of the fork pairs with an upstream file.</p></section>')
        return "\n".join(parts)
    shown.sort(
        key=lambda item: (
            -(_number(item[1].get("fork_share")) or 0.0),
            -(_number(item[1].get("upstream_share")) or 0.0),
            str(item[1].get("path")),
        )
    )
    plot_width = _CHART_WIDTH - _CHART_LEFT - _CHART_RIGHT
    half = (_CHART_HEIGHT - _CHART_TOP - _CHART_BOTTOM) / 2
    middle = _CHART_TOP + half
    slot = min(plot_width / len(shown), 40.0)  # a few files: narrow bars from the left, not a wall
    bar = max(slot * 0.75, min(slot, 1.0))
    svg = [
        f'<svg id="similarity-chart" viewBox="0 0 {_CHART_WIDTH} {_CHART_HEIGHT}" width="100%"'
        ' aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Share of each paired fork file that is upstream code (up) and share of its'
        " upstream file that it holds (down)</title>",
    ]
    for fraction in (1.0, 0.5):
        for y in (middle - half * fraction, middle + half * fraction):
            svg.append(
                f'<line class="grid" x1="{_CHART_LEFT}" x2="{_CHART_WIDTH - _CHART_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            )
            svg.append(f'<text class="tick" x="{_CHART_LEFT - 6}" y="{y + 4:.1f}">{fraction:.0%}</text>')
    svg.append(f'<text class="tick" x="{_CHART_LEFT - 6}" y="{middle + 4:.1f}">0</text>')
    svg.append(f'<text class="axis" x="4" y="{middle - half / 4 + 4:.1f}">fork share ↑</text>')
    svg.append(f'<text class="axis" x="4" y="{middle + half / 4 + 4:.1f}">upstream share ↓</text>')
    for position, (index, entry) in enumerate(shown):
        kind = str(entry.get("kind"))
        color = KIND_COLORS.get(kind, _OTHER_COLOR)
        fork_share = max(0.0, min(_number(entry.get("fork_share")) or 0.0, 1.0))
        upstream_share = max(0.0, min(_number(entry.get("upstream_share")) or 0.0, 1.0))
        x = _CHART_LEFT + position * slot + (slot - bar) / 2
        up, down = fork_share * half, upstream_share * half
        label = (
            f"{entry.get('path')} ({kind})\nupstream: {entry.get('upstream')}: {entry.get('upstream_path')}\n"
            f"fork share {_percent_text(fork_share)}, upstream share {_percent_text(upstream_share)}"
        )
        svg.append(
            f'<a href="#pair-{index}" class="bar-link"><title>{escape(label)}</title>'
            f'<rect class="hit" x="{x:.2f}" y="{_CHART_TOP}" width="{bar:.2f}" height="{2 * half:.1f}"/>'
            f'<rect x="{x:.2f}" y="{middle - up:.2f}" width="{bar:.2f}" height="{up:.2f}" fill="{color}"/>'
            f'<rect x="{x:.2f}" y="{middle:.2f}" width="{bar:.2f}" height="{down:.2f}" fill="{color}"'
            ' fill-opacity="0.5"/></a>'
        )
    right = _CHART_WIDTH - _CHART_RIGHT
    svg.append(f'<line class="zero" x1="{_CHART_LEFT}" x2="{right}" y1="{middle:.1f}" y2="{middle:.1f}"/>')
    svg.append("</svg>")
    parts.extend(svg)
    counts: dict[str, int] = {}
    for _, entry in shown:
        counts[str(entry.get("kind"))] = counts.get(str(entry.get("kind")), 0) + 1
    legend = "".join(
        f'<li><span class="swatch k-{_kind_class(kind)}"></span>{escape(kind)} {counts[kind]}</li>'
        for kind in [*KINDS, *sorted(set(counts) - set(KINDS))]
        if kind in counts
    )
    new_files = sum(1 for entry in files if not _is_pair(entry))
    parts.append(f'<ul class="legend">{legend}</ul>')
    parts.append(
        f'<p class="note">One bar per paired file ({len(shown):,}), most copied first: up, the share of the fork'
        " file's code that is upstream code; down (paler), the share of the upstream file's code that the fork file"
        f" holds. {_plural(new_files, 'file')} with nothing from the upstreams not drawn. Click a bar for its pair.</p>"
    )
    parts.append("</section>")
    return "\n".join(parts)


_COLUMNS = (
    ("path", "Path", "text"),
    ("kind", "Kind", "text"),
    ("upstream", "Upstream file", "text"),
    ("fork_share", "Fork share", "number"),
    ("upstream_share", "Upstream share", "number"),
    ("renames", "Renames", "number"),
    ("notices", "Stripped notices", "number"),
    ("change_notice", "Change notice", "text"),
)


def _files_table(files: list[Mapping[str, Any]], pairs: list[tuple[int, Mapping[str, Any]]]) -> str:
    """Every file of the fork: those that differ from the upstreams first (new ones last), then the identical
    ones, folded away but there. Both tables sort, and the filter reads both."""
    paired = {index for index, _ in pairs}
    kinds = [kind for kind in KINDS if any(entry.get("kind") == kind for entry in files)]
    kinds += sorted({str(entry.get("kind")) for entry in files} - set(KINDS))
    options = "".join(f'<option value="{escape(kind)}">{escape(kind)}</option>' for kind in kinds)
    entries = list(enumerate(files))
    changed, identical = _changed_first(entries), _identical(entries)
    parts = [
        '<section id="files">',
        "<h2>Files</h2>",
        '<div class="controls">'
        '<input type="search" id="file-filter" placeholder="Filter by path, kind or upstream file"'
        ' aria-label="Filter files">'
        f'<select id="kind-filter" aria-label="Kind"><option value="">every kind</option>{options}</select>'
        f'<span id="file-count" class="note">{len(files):,} of {len(files):,} files</span></div>',
        f'<p class="note">Files that differ from the upstreams or are new ({len(changed):,}), changed kinds'
        " first; the change-notice column gives a verdict only where one is owed (a modified code file taken from"
        " code whose license asks for one, as Apache-2.0 §4(b) does).</p>",
        _file_rows("file-table", changed, paired, sorted_by="kind"),
    ]
    if identical:
        parts.append(
            f'<details id="identical-files"><summary>{_plural(len(identical), "identical file")}: the same bytes'
            " as an upstream file</summary>"
            + _file_rows("identical-table", identical, paired, sorted_by="path")
            + "</details>"
        )
    if not files:
        parts.append('<p class="note">The fork has no files.</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _file_rows(table_id: str, entries: list[tuple[int, Mapping[str, Any]]], paired: set[int], *, sorted_by: str) -> str:
    parts = [f'<table id="{table_id}" class="files"><thead><tr>']
    for key, label, kind in _COLUMNS:
        sort = ' aria-sort="ascending"' if key == sorted_by else ""
        parts.append(
            f'<th data-key="{key}" data-type="{kind}"{sort}><button type="button" class="sort">{label}</button></th>'
        )
    parts.append("</tr></thead><tbody>")
    for index, entry in entries:
        path = str(entry.get("path") or "")
        kind = str(entry.get("kind") or "unknown")
        upstream = _upstream_label(entry)
        renames = _list(entry.get("renames"))
        notices = [item for item in _list(entry.get("stripped_notices")) if isinstance(item, str)]
        link = f'<a href="#pair-{index}">{escape(path)}</a>' if index in paired else f"<span>{escape(path)}</span>"
        tags = ""
        if entry.get("moved") is True:
            tags += ' <span class="tag">moved</span>'
        if _list(entry.get("split_with")):
            tags += ' <span class="tag">split</span>'
        if _list(entry.get("also_from")):
            tags += ' <span class="tag">merged</span>'
        fork_share, upstream_share = _number(entry.get("fork_share")), _number(entry.get("upstream_share"))
        change_text, change_class, change_title = _change_notice_cell(entry)
        notices_cell = (
            f'<td data-v="{len(notices)}" class="num owed" title="owed: restoring them">{len(notices)}</td>'
            if notices
            else '<td data-v="0" class="num">—</td>'
        )
        parts.append(
            f'<tr data-kind="{escape(kind)}">'
            f'<td data-v="{escape(path)}" class="path">{link}{tags}</td>'
            f'<td data-v="{escape(kind)}" data-s="{_kind_rank(kind):02d} {escape(kind)}">{_kind(kind)}</td>'
            f'<td data-v="{upstream}" class="path">{upstream or "—"}</td>'
            f'<td data-v="{_sort_number(fork_share)}" class="num">{_share_bar(fork_share)}</td>'
            f'<td data-v="{_sort_number(upstream_share)}" class="num">{_share_bar(upstream_share)}</td>'
            f'<td data-v="{len(renames)}" class="num">{len(renames) or "—"}</td>'
            f"{notices_cell}"
            f'<td data-v="{change_text}" class="cn-{change_class}" title="{escape(change_title)}">{change_text}</td>'
            "</tr>"
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def _pairs(pairs: list[tuple[int, Mapping[str, Any]]]) -> str:
    parts = ['<section id="pairs">', "<h2>Pairs</h2>"]
    if not pairs:
        parts.append('<p class="note">No file of the fork pairs with an upstream file.</p></section>')
        return "\n".join(parts)
    parts.append(
        '<p class="note">Open a pair to compare the fork file (left) with its upstream file (right). Copied lines'
        ' are <span class="copied-sample">highlighted</span>, facing each other where they align; renamed'
        ' identifiers are <mark class="rn">marked</mark>. At most'
        f" {LINES_SHOWN:,} lines of each side are shown. Changed files come first; identical ones are folded.</p>"
    )
    identical = _identical(pairs)
    parts.extend(_pair(index, entry) for index, entry in _changed_first(pairs))
    if identical:
        parts.append(
            f'<details id="identical-pairs"><summary>{_plural(len(identical), "identical pair")}</summary>'
            + "".join(_pair(index, entry) for index, entry in identical)
            + "</details>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _pair(index: int, entry: Mapping[str, Any]) -> str:
    return (
        f'<details class="pair" id="pair-{index}" data-pair="{index}"><summary>{_kind(entry.get("kind"))}'
        f' <code>{_text(entry.get("path"))}</code> <span class="arrow">⇄</span>'
        f" <code>{_upstream_label(entry)}</code>"
        f' <span class="shares">fork {_percent(entry.get("fork_share"))} · upstream'
        f" {_percent(entry.get('upstream_share'))}</span></summary>"
        '<div class="pair-body"><div class="pair-view" data-state="empty"></div>'
        '<p class="back"><a href="#files">back to the file table</a></p></div></details>'
    )


def _models(report: Mapping[str, Any]) -> str:
    models = [item for item in _list(report.get("models")) if isinstance(item, Mapping)]
    parts = ['<section id="models">', "<h2>Models</h2>"]
    if not models:
        parts.append('<p class="note">No model folder of the fork pairs with a model folder of an upstream.</p>')
    for model in models:
        related = model.get("related") is True
        parts.append(
            f'<div class="model card"><h3><code>{_text(model.get("fork_path"))}</code> ⇄'
            f" <code>{_text(model.get('upstream'))}: {_text(model.get('upstream_path'))}</code>"
            f' <span class="verdict {"v-derived" if related else "v-unrelated"}">'
            f"{'looks derived' if related else 'does not look derived'}</span></h3><dl>"
        )
        config = model.get("config")
        if isinstance(config, Mapping):
            differences = [str(item) for item in _list(config.get("differences"))]
            parts.append(
                f"<dt>config</dt><dd><strong>{_text(config.get('relation'))}</strong>"
                f" ({_count(config.get('compared'))} architecture values compared"
                + (f"; differs in {escape(', '.join(differences))}" if differences else "")
                + ")</dd>"
            )
        else:
            parts.append("<dt>config</dt><dd>not compared</dd>")
        tokenizer = model.get("tokenizer")
        if isinstance(tokenizer, Mapping):
            parts.append(
                f"<dt>tokenizer</dt><dd><strong>{_text(tokenizer.get('relation'))}</strong>:"
                f" {_text(tokenizer.get('description'), '')} ({_percent(tokenizer.get('containment'))} of the"
                f" upstream's sampled tokens found, {_count(tokenizer.get('extra_tokens'))} extra)</dd>"
            )
        else:
            parts.append("<dt>tokenizer</dt><dd>not compared</dd>")
        weights = model.get("weights")
        if isinstance(weights, Mapping):
            score = _number(weights.get("score"))
            parts.append(
                f"<dt>weights</dt><dd><strong>{_text(weights.get('verdict'))}</strong>"
                + (f" (score {score:.3f})" if score is not None else "")
                + f" {_text(weights.get('reason'), '')}"
                f"<br>{_count(weights.get('paired_by_name'))} tensor pairs by name,"
                f" {_count(weights.get('paired_by_shape'))} by shape, {_count(weights.get('informative'))}"
                f" informative, {_count(weights.get('unpaired_a'))} upstream and {_count(weights.get('unpaired_b'))}"
                " fork tensors unpaired</dd>"
            )
        else:
            parts.append("<dt>weights</dt><dd>not compared</dd>")
        parts.append("</dl>")
        if isinstance(weights, Mapping):
            parts.append(_weakest_tensors(weights))
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def _weakest_tensors(weights: Mapping[str, Any]) -> str:
    evidence = [
        item
        for item in _list(weights.get("evidence"))
        if isinstance(item, Mapping) and _number(item.get("correlation")) is not None
    ]
    if not evidence:
        return ""
    evidence.sort(key=lambda item: (_number(item.get("correlation")), str(item.get("a")), str(item.get("b"))))
    rows = "".join(
        f"<tr><td><code>{_text(item.get('a'))}</code></td><td><code>{_text(item.get('b'))}</code></td>"
        f'<td class="num">{_number(item.get("correlation")):+.3f}</td><td>{_text(item.get("paired"))}</td>'
        f"<td>{_text(item.get('kind'))}</td></tr>"
        for item in evidence[:TENSORS_SHOWN]
    )
    return (
        f"<details><summary>The {min(TENSORS_SHOWN, len(evidence))} weakest tensor pairs</summary>"
        '<table class="tensors"><thead><tr><th>upstream tensor</th><th>fork tensor</th><th>correlation</th>'
        f"<th>paired by</th><th>kind</th></tr></thead><tbody>{rows}</tbody></table></details>"
    )


def _obligations(report: Mapping[str, Any]) -> str:
    findings = [item for item in _list(report.get("obligations")) if isinstance(item, Mapping)]
    parts = ['<section id="obligations">', "<h2>Obligations</h2>"]
    if not findings:
        parts.append('<p class="note">lintml found nothing the fork owes the upstreams.</p></section>')
        return "\n".join(parts)
    parts.append(
        '<table class="obligations"><thead><tr><th>severity</th><th>rule</th><th>where</th><th>message</th>'
        "<th>fix</th></tr></thead><tbody>"
    )
    for finding in findings:
        severity = str(finding.get("severity") or "")
        css = severity if severity in SEVERITIES else "other"
        where = escape(str(finding.get("path") or ""))
        if type(finding.get("line")) is int:
            where += f":{finding['line']}"
        parts.append(
            f'<tr><td><span class="sev s-{css}">{escape(severity)}</span></td><td><code>{_text(finding.get("rule"))}'
            f'</code></td><td class="path"><code>{where}</code></td><td>{_text(finding.get("message"))}</td>'
            f"<td>{_text(finding.get('fix'), '')}</td></tr>"
        )
    parts.append("</tbody></table></section>")
    return "\n".join(parts)
