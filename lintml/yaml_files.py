"""The YAML files lintml ships (``rules/``), parsed once and then read back from the user cache.

Every check reads some fifty rule and license-knowledge files. Parsing them costs ~30 ms, and
importing PyYAML ~15 ms more: more than a tenth of a pre-commit run. So the parsed content of
each file is kept in ``<cache>/parsed-yaml.marshal`` under the file's path and a hash of its bytes
(an edited rule file is parsed again), and a run that finds them all there never imports PyYAML.

The cache holds plain data only (``marshal``: dicts, lists, strings, numbers, booleans, None); a
file whose content is anything else (a YAML date, say) is simply parsed each time. Each call gets
fresh objects, so a caller that changes what it got cannot change what the next caller gets. A
cache file that is damaged, cut short or another version's is ignored (and rewritten at exit).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import marshal
import os
from pathlib import Path
from typing import Any

CACHE_NAME = "parsed-yaml.marshal"
# The cache file: this line, a BLAKE2b digest of the rest, then marshal's bytes of (_FORMAT, memo).
_MAGIC = b"lintml parsed YAML\n"
_DIGEST_SIZE = 16
_FORMAT = 2  # bump when the layout of the cache file changes

_memo: dict[str, tuple[bytes, bytes]] | None = None  # path -> (hash of the bytes, marshalled content)
_changed = False


class InvalidYAML(ValueError):
    """A file that is not valid YAML; the message is PyYAML's."""


def read_yaml(path: Path) -> Any:
    """The content of the YAML file at ``path``, as PyYAML's safe loader gives it.

    Raises OSError when it cannot be read and :class:`InvalidYAML` when it is not YAML.
    """
    global _changed
    data = path.read_bytes()
    digest = hashlib.blake2b(data, digest_size=16).digest()
    memo = _loaded_memo()
    key = str(path)
    kept = memo.get(key)
    if kept is not None and kept[0] == digest:
        try:
            return marshal.loads(kept[1])
        except (EOFError, ValueError, TypeError):  # cannot happen to a file whose digest held; parse it again
            pass
    content = _parse(data)
    try:
        memo[key] = (digest, marshal.dumps(content))
    except ValueError:  # not plain data: parsed again next time
        return content
    if not _changed:
        _changed = True
        atexit.register(_save)
    return content


def _parse(data: bytes) -> Any:
    import yaml

    try:
        # As read_text() gives it: universal newlines.
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise InvalidYAML(str(error)) from None


def _cache_path() -> Path:
    from lintml.facts.cache import default_cache_dir

    return default_cache_dir() / CACHE_NAME


def _loaded_memo() -> dict[str, tuple[bytes, bytes]]:
    global _memo
    if _memo is None:
        _memo = {}
        with contextlib.suppress(OSError):  # none yet, or unreadable: parse afresh
            _memo = _stored_memo(_cache_path().read_bytes())
    return _memo


def _stored_memo(data: bytes) -> dict[str, tuple[bytes, bytes]]:
    """The memo a cache file holds, or {} when it is damaged, cut short or from another lintml.

    marshal is not made for untrusted bytes (a few bytes can ask it for gigabytes), so it reads only what the
    digest vouches for: bytes this code wrote. Whoever can write the cache folder on purpose can do worse
    there anyway (see lintml.facts.cache).
    """
    body = data[len(_MAGIC) + _DIGEST_SIZE :]
    digest = data[len(_MAGIC) : len(_MAGIC) + _DIGEST_SIZE]
    if not data.startswith(_MAGIC) or hashlib.blake2b(body, digest_size=_DIGEST_SIZE).digest() != digest:
        return {}
    try:
        stored = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return {}
    if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == _FORMAT and isinstance(stored[1], dict)):
        return {}
    memo = stored[1]
    if all(_entry(name, kept) for name, kept in memo.items()):
        return memo
    return {}


def _entry(name: object, kept: object) -> bool:
    return (
        isinstance(name, str)
        and isinstance(kept, tuple)
        and len(kept) == 2
        and isinstance(kept[0], bytes)
        and isinstance(kept[1], bytes)
    )


def _save() -> None:
    """Write the cache whole, atomically; a cache that cannot be written is only a slower next run (and one
    warning line, from usable_cache_dir)."""
    from lintml.facts.cache import usable_cache_dir

    if _memo is None or usable_cache_dir() is None:
        return
    path = _cache_path()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    kept = {name: entry for name, entry in _memo.items() if os.path.isfile(name)}  # forget files gone
    try:
        body = marshal.dumps((_FORMAT, kept))
        temporary.write_bytes(_MAGIC + hashlib.blake2b(body, digest_size=_DIGEST_SIZE).digest() + body)
        os.replace(temporary, path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


MAX_YAML_DEPTH = 64  # collections within collections in a file a user or a repository wrote; real ones nest a few deep


def load_untrusted(text: str) -> Any:
    """YAML written by someone else (a configuration, a model card), read with PyYAML's safe loader and
    refused, as :class:`InvalidYAML`, when it uses aliases (``*name``: the way to a billion laughs) or
    nests deeper than :data:`MAX_YAML_DEPTH` (composition recurses once a level)."""
    import yaml

    try:
        return yaml.load(text, Loader=_untrusted_loader())
    except RecursionError:
        raise InvalidYAML(f"nested more than {MAX_YAML_DEPTH} levels deep") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None)
        if mark is None or problem is None:
            raise InvalidYAML(" ".join(str(error).split())) from None
        raise InvalidYAML(f"line {mark.line + 1}, column {mark.column + 1}: {problem}") from None
    except (ValueError, TypeError) as error:  # a value the constructors reject: 2024-02-30, a 5,000-digit int
        raise InvalidYAML(" ".join(str(error).split())[:200]) from None


_loader: type | None = None


def _untrusted_loader() -> type:
    """Made on first use, so PyYAML is imported only when such a file is read."""
    global _loader
    if _loader is not None:
        return _loader
    import yaml

    class UntrustedLoader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
            if self.depth >= MAX_YAML_DEPTH:
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", event.start_mark
                )
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    _loader = UntrustedLoader
    return _loader
