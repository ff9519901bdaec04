"""Model cards: the YAML front matter of README.md / MODEL_CARD.md in the Hugging Face schema.

Parsing never raises: broken front matter becomes a ``problem`` with the line YAML
complained about, so the check can report it and the scan goes on.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_TOP_LEVEL_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w.-]*)\s*:")
# Front matter parsed (PyYAML's pure-Python loader takes about 5 s a MB): real cards, eval results
# included, hold a few KB to a few tens of KB. Nesting is bounded by the loader's recursion (caught).
MAX_FRONT_MATTER_CHARS = 256 * 1024


@dataclass(frozen=True)
class ModelCard:
    """What a card declares. ``metadata`` is None when there is no front matter at all."""

    metadata: dict[str, Any] | None
    key_lines: dict[str, int] = field(default_factory=dict)
    problem: str | None = None
    problem_line: int | None = None

    def get(self, key: str) -> Any:
        return (self.metadata or {}).get(key)

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "metadata": self.metadata,
            "key_lines": self.key_lines,
            "problem": self.problem,
            "problem_line": self.problem_line,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        return cls(
            metadata=data["metadata"],
            key_lines={key: int(line) for key, line in (data.get("key_lines") or {}).items()},
            problem=data.get("problem"),
            problem_line=data.get("problem_line"),
        )


@lru_cache(maxsize=1)
def _front_matter_loader() -> type:
    """A safe loader that refuses aliases: a card is a few keys, and alias bombs are an attack.

    Made on first use: PyYAML is imported only when a card is parsed, not on every check."""
    import yaml

    class FrontMatterLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
            return super().compose_node(parent, index)

    return FrontMatterLoader


def parse_model_card(text: str) -> ModelCard:
    lines = text.removeprefix("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return ModelCard(metadata=None)
    closing = next((index for index in range(1, len(lines)) if lines[index].strip() in ("---", "...")), None)
    if closing is None:
        return ModelCard(
            metadata=None, problem="front matter opened with --- on line 1 is never closed", problem_line=1
        )
    body = "\n".join(lines[1:closing])
    if len(body) > MAX_FRONT_MATTER_CHARS:
        return ModelCard(
            metadata=None,
            problem=f"front matter of {len(body):,} characters is more than lintml reads ({MAX_FRONT_MATTER_CHARS:,})",
            problem_line=1,
        )
    key_lines = {}
    for index in range(1, closing):
        match = _TOP_LEVEL_KEY.match(lines[index])
        if match:
            key_lines.setdefault(match.group("key"), index + 1)
    import yaml

    try:
        loaded = yaml.load(body, Loader=_front_matter_loader())  # a safe loader that refuses aliases
    except RecursionError:
        return ModelCard(
            metadata=None, key_lines=key_lines, problem="front matter is nested too deeply to read", problem_line=2
        )
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(error, "problem", None) or str(error).splitlines()[0]
        return ModelCard(
            metadata=None, key_lines=key_lines, problem=f"front matter is not valid YAML: {reason}", problem_line=line
        )
    except (ValueError, TypeError) as error:  # a value the constructors reject: 2024-02-30, a 5,000-digit int
        reason = " ".join(str(error).split())[:200]
        return ModelCard(
            metadata=None, key_lines=key_lines, problem=f"front matter is not valid YAML: {reason}", problem_line=2
        )
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        return ModelCard(
            metadata=None, key_lines=key_lines, problem="front matter is not a YAML mapping", problem_line=2
        )
    return ModelCard(metadata=_jsonable(loaded), key_lines=key_lines)


def _jsonable(value: Any) -> Any:
    """Front matter as plain JSON types, so it caches and reports cleanly (dates become strings)."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, set | frozenset):  # !!set: JSON has no sets
        return sorted((_jsonable(item) for item in value), key=str)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
