"""A stack machine over pickle opcodes that only ever builds data: lintml never unpickles.

It walks the opcodes with :mod:`pickletools`; a global is only a name, and a name outside
:data:`ALLOWED_GLOBALS` (the tensor rebuild functions, storage classes, dtypes, ``OrderedDict``) makes the
file an :class:`UnsafePickle`. Each pickle runs under caps on opcodes, memo entries, stack, MARKs,
containers and nesting (each a constant below, with why); breaking one is a :class:`WeightsError`.
"""

from __future__ import annotations

import _compat_pickle
import io
import math
import pickletools
import re
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lintml.models.weights.base import MAX_DEPTH, MAX_DIMENSION, UnsafePickle, WeightsError, is_int, shown

MAX_CONTAINERS = 2_000_000  # lists, dicts and tuples one pickle may build (a real one: about 6 per tensor)
# Opcodes one pickle may run: a checkpoint takes about 50 per tensor (facenet's P-Net: 533 for 10),
# so this is 100,000 tensors, optimizer state included; at about 0.6 µs each the walk stays under 4 s.
MAX_OPCODES = 5_000_000
# Memo entries (PUT/MEMOIZE): about 14 per tensor in real checkpoints; each costs about 100 bytes.
MAX_MEMO = 2_000_000
# Values waiting on the stack, and open MARKs: pickle batches appends and setitems by 1,000, so a
# real stack holds a few thousand at most; without a cap one-byte opcodes could pile up 64 million.
MAX_STACK = 1_000_000
MAX_MARKS = 10_000

# torch storage classes and dtypes, by the name they are pickled under
_STORAGES = {
    "DoubleStorage": "F64",
    "FloatStorage": "F32",
    "HalfStorage": "F16",
    "BFloat16Storage": "BF16",
    "LongStorage": "I64",
    "IntStorage": "I32",
    "ShortStorage": "I16",
    "CharStorage": "I8",
    "ByteStorage": "U8",
    "BoolStorage": "BOOL",
    "ComplexFloatStorage": "C64",
    "ComplexDoubleStorage": "C128",
}
_TORCH_DTYPES = {
    "float64": "F64",
    "double": "F64",
    "float32": "F32",
    "float": "F32",
    "float16": "F16",
    "half": "F16",
    "bfloat16": "BF16",
    "int64": "I64",
    "long": "I64",
    "int32": "I32",
    "int": "I32",
    "int16": "I16",
    "short": "I16",
    "int8": "I8",
    "uint8": "U8",
    "uint16": "U16",
    "uint32": "U32",
    "uint64": "U64",
    "bool": "BOOL",
    "complex64": "C64",
    "complex128": "C128",
    "float8_e4m3fn": "F8_E4M3",
    "float8_e5m2": "F8_E5M2",
}
_REBUILD_TENSOR = frozenset(
    {"torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3"}
)
_REBUILD_PARAMETER = frozenset({"torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"})
# Every global a plain checkpoint of tensors needs; a name outside this set makes the file unsafe.
ALLOWED_GLOBALS = frozenset(
    {
        "collections.OrderedDict",
        *_REBUILD_TENSOR,
        *_REBUILD_PARAMETER,
        "torch._tensor._rebuild_from_type_v2",
        "torch.nn.parameter.Parameter",
        "torch.Tensor",
        "torch.Size",
        "torch.device",
        "torch.storage.UntypedStorage",
        "_codecs.encode",  # how protocol 2 pickles bytes
        *(f"torch.{name}" for name in _STORAGES),
        *(f"torch.cuda.{name}" for name in _STORAGES),
        *(f"torch.{name}" for name in _TORCH_DTYPES),
    }
)
# Subtrees of a checkpoint that hold training state, not the model's weights.
_TRAINING_STATE = re.compile(r"optim|scheduler|scaler", re.IGNORECASE)


@dataclass(frozen=True)
class _Global:
    name: str  # "module.qualname"


@dataclass(frozen=True)
class Storage:
    key: str
    dtype: str | None  # None: an untyped storage (bytes), typed by the tensor rebuilt on it
    size: int  # elements (typed) or bytes (untyped)
    view_offset: int = 0  # legacy files: a view into a larger storage, in elements


@dataclass(frozen=True)
class PickledTensor:
    storage: Storage
    offset: int  # in elements of ``dtype``
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    dtype: str


class _Opaque:
    """A value built from an allowed global that is not a tensor or a container (a device, a dtype, bytes)."""

    def __init__(self, label: str) -> None:
        self.label = label


class _Key:
    """A dict key that is not a plain value: kept distinct, never hashed through."""


_PLAIN_KEYS = (str, int, float, bool, bytes, type(None))
_CONTINUE = object()  # what step returns for every opcode but STOP


class PickleMachine:
    """Interpret one pickle's opcodes without importing or calling anything."""

    def __init__(self, path: Path, storages: dict[str, Storage]) -> None:
        self.path = path
        self.storages = storages
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        self.containers = 0

    def fail(self, reason: str) -> WeightsError:
        return WeightsError(self.path, f"malformed pickle: {reason}")

    def run(self, stream: io.BytesIO) -> Any:
        # pickletools warns of bad escapes in text opcodes: a malformed file, not something to report twice
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._run(stream)

    def _run(self, stream: io.BytesIO) -> Any:
        try:
            for count, (opcode, argument, _position) in enumerate(pickletools.genops(stream), 1):
                if count > MAX_OPCODES:
                    raise WeightsError(self.path, f"the pickle runs more than {MAX_OPCODES:,} opcodes")
                result = self.step(opcode.name, argument)
                if result is not _CONTINUE:
                    return result
                if len(self.stack) > MAX_STACK:
                    raise WeightsError(self.path, f"the pickle stacks up more than {MAX_STACK:,} values")
        except WeightsError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, OverflowError, RecursionError, struct.error) as error:
            raise self.fail(str(error)[:200] or type(error).__name__) from None
        raise self.fail("it ends before its STOP opcode")

    def new(self, value: Any) -> Any:
        self.containers += 1
        if self.containers > MAX_CONTAINERS:
            raise WeightsError(self.path, f"the pickle builds more than {MAX_CONTAINERS} containers")
        return value

    def pop(self) -> Any:
        if not self.stack or (self.marks and len(self.stack) <= self.marks[-1]):
            raise self.fail("pop from an empty stack")
        return self.stack.pop()

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            raise self.fail("no MARK to pop to")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def top(self) -> Any:
        if not self.stack:
            raise self.fail("empty stack")
        return self.stack[-1]

    def step(self, name: str, argument: Any) -> Any:
        """Run one opcode: the value STOP pops, else ``_CONTINUE``. An opcode outside :data:`OPCODES` is refused."""
        if name == "STOP":
            return self.pop()
        handler = OPCODES.get(name)
        if handler is None:  # EXT1/2/4 (the copyreg registry), NEXT_BUFFER, READONLY_BUFFER
            raise WeightsError(
                self.path, f"its pickle uses the {name} opcode, which a torch.save checkpoint never does"
            )
        handler(self, name, argument)
        return _CONTINUE

    # One handler per opcode (or family of opcodes), each (machine, opcode name, argument) -> None.

    def op_nothing(self, name: str, argument: Any) -> None:
        pass  # PROTO, FRAME: framing, not data

    def op_mark(self, name: str, argument: Any) -> None:
        if len(self.marks) >= MAX_MARKS:
            raise WeightsError(self.path, f"the pickle opens more than {MAX_MARKS:,} MARKs at once")
        self.marks.append(len(self.stack))

    def op_pop(self, name: str, argument: Any) -> None:
        if self.marks and len(self.stack) == self.marks[-1]:
            self.pop_mark()
        else:
            self.pop()

    def op_pop_mark(self, name: str, argument: Any) -> None:
        self.pop_mark()

    def op_dup(self, name: str, argument: Any) -> None:
        self.stack.append(self.top())

    def op_none(self, name: str, argument: Any) -> None:
        self.stack.append(None)

    def op_bool(self, name: str, argument: Any) -> None:
        self.stack.append(name == "NEWTRUE")

    def op_argument(self, name: str, argument: Any) -> None:
        self.stack.append(argument)  # a number, string or bytes the opcode carries

    def op_empty(self, name: str, argument: Any) -> None:
        self.stack.append(self.new({} if name == "EMPTY_DICT" else []))

    def op_empty_tuple(self, name: str, argument: Any) -> None:
        self.stack.append(())

    def op_small_tuple(self, name: str, argument: Any) -> None:
        count = int(name[-1])
        items = [self.pop() for _ in range(count)][::-1]
        self.stack.append(self.new(tuple(items)))

    def op_sequence(self, name: str, argument: Any) -> None:
        items = self.pop_mark()
        self.stack.append(self.new(tuple(items) if name == "TUPLE" else items))

    def op_dict(self, name: str, argument: Any) -> None:
        items = self.pop_mark()
        self.stack.append(self.new(self.pairs(items)))

    def op_append(self, name: str, argument: Any) -> None:
        value = self.pop()
        self.append(self.top(), [value])

    def op_appends(self, name: str, argument: Any) -> None:
        items = self.pop_mark()
        self.append(self.top(), items)

    def op_setitem(self, name: str, argument: Any) -> None:
        value = self.pop()
        key = self.pop()
        self.setitems(self.top(), [key, value])

    def op_setitems(self, name: str, argument: Any) -> None:
        items = self.pop_mark()
        self.setitems(self.top(), items)

    def op_put(self, name: str, argument: Any) -> None:
        if len(self.memo) >= MAX_MEMO:
            raise WeightsError(self.path, f"the pickle memoizes more than {MAX_MEMO:,} values")
        self.memo[len(self.memo) if name == "MEMOIZE" else int(argument)] = self.top()

    def op_get(self, name: str, argument: Any) -> None:
        if int(argument) not in self.memo:
            raise self.fail(f"memo entry {argument} read before it was written")
        self.stack.append(self.memo[int(argument)])

    def op_global(self, name: str, argument: Any) -> None:
        module, _, qualname = str(argument).partition(" ")
        self.stack.append(self.allowed(module, qualname))

    def op_stack_global(self, name: str, argument: Any) -> None:
        qualname, module = self.pop(), self.pop()
        if not isinstance(module, str) or not isinstance(qualname, str):
            raise self.fail("STACK_GLOBAL of something that is not a name")
        self.stack.append(self.allowed(module, qualname))

    def op_instance(self, name: str, argument: Any) -> None:
        raise UnsafePickle(self.path, str(argument).replace(" ", ".") if argument else "an object built by OBJ")

    def op_reduce(self, name: str, argument: Any) -> None:
        arguments = self.pop()
        function = self.pop()
        self.stack.append(self.reduce(function, arguments))

    def op_newobj(self, name: str, argument: Any) -> None:
        if name == "NEWOBJ_EX":
            self.pop()  # keyword arguments
        self.pop()  # the arguments to __new__
        cls = self.pop()
        self.stack.append(self.construct(cls))

    def op_build(self, name: str, argument: Any) -> None:
        self.pop()  # the state set on an object (an OrderedDict's _metadata): not weights
        self.top()

    def op_binpersid(self, name: str, argument: Any) -> None:
        self.stack.append(self.persistent(self.pop()))

    def op_persid(self, name: str, argument: Any) -> None:
        self.stack.append(self.persistent(argument))

    def allowed(self, module: str, qualname: str) -> _Global:
        # Protocol 2 spells some Python 3 names the Python 2 way; name them as unpickling would resolve them.
        if (module, qualname) in _compat_pickle.NAME_MAPPING:
            module, qualname = _compat_pickle.NAME_MAPPING[(module, qualname)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        name = f"{module}.{qualname}"
        if name not in ALLOWED_GLOBALS:
            raise UnsafePickle(self.path, name)
        return _Global(name)

    def pairs(self, items: list[Any]) -> dict[Any, Any]:
        if len(items) % 2:
            raise self.fail("a dict with an odd number of items")
        return {_key(items[index]): items[index + 1] for index in range(0, len(items), 2)}

    def append(self, target: Any, items: list[Any]) -> None:
        if not isinstance(target, list):
            raise self.fail("APPEND to something that is not a list")
        target.extend(items)

    def setitems(self, target: Any, items: list[Any]) -> None:
        if not isinstance(target, dict):
            raise self.fail("SETITEM on something that is not a dict")
        target.update(self.pairs(items))

    def construct(self, cls: Any) -> Any:
        if not isinstance(cls, _Global):
            raise self.fail("NEWOBJ of something that is not a class")
        return self.new({}) if cls.name == "collections.OrderedDict" else _Opaque(cls.name)

    def reduce(self, function: Any, arguments: Any) -> Any:
        if not isinstance(function, _Global):
            raise self.fail("REDUCE of something that is not a global")
        if not isinstance(arguments, tuple):
            raise self.fail(f"REDUCE of {function.name} with arguments that are not a tuple")
        name = function.name
        if name == "collections.OrderedDict":
            result = self.new({})
            if arguments and isinstance(arguments[0], list):
                for pair in arguments[0]:
                    if isinstance(pair, tuple) and len(pair) == 2:
                        result[_key(pair[0])] = pair[1]
            return result
        if name in _REBUILD_TENSOR:
            return self.tensor(name, arguments)
        if name in _REBUILD_PARAMETER:
            return arguments[0] if arguments and isinstance(arguments[0], PickledTensor) else _Opaque(name)
        if name == "torch._tensor._rebuild_from_type_v2" and len(arguments) >= 3:
            inner, inner_arguments = arguments[0], arguments[2]
            if isinstance(inner, _Global) and inner.name != name and isinstance(inner_arguments, tuple):
                return self.reduce(inner, inner_arguments)
        return _Opaque(name)

    def tensor(self, name: str, arguments: tuple[Any, ...]) -> PickledTensor:
        if len(arguments) < 4:
            raise self.fail(f"{name} with {len(arguments)} arguments")
        storage, offset, shape, strides = arguments[:4]
        if not isinstance(storage, Storage):
            raise self.fail(f"{name} of something that is not a storage")
        dtype = storage.dtype
        if name.endswith("_v3") and len(arguments) >= 7:
            given = arguments[6]
            if isinstance(given, _Global) and given.name.startswith("torch."):
                dtype = _TORCH_DTYPES.get(given.name.removeprefix("torch."), dtype)
        if dtype is None:
            raise WeightsError(self.path, f"a tensor on untyped storage {shown(storage.key)} has no dtype")
        if not (is_int(offset) and 0 <= offset < MAX_DIMENSION):
            raise self.fail(f"a tensor on storage {shown(storage.key)} has a bad storage offset")
        if isinstance(shape, _Opaque) or isinstance(strides, _Opaque):
            raise self.fail("a tensor whose size or stride is not a tuple of integers")
        shape = tuple(shape) if isinstance(shape, tuple | list) else None
        strides = tuple(strides) if isinstance(strides, tuple | list) else None
        if (
            shape is None
            or strides is None
            or len(shape) != len(strides)
            or len(shape) > 64
            or not all(is_int(value) and 0 <= value < MAX_DIMENSION for value in (*shape, *strides))
        ):
            raise self.fail(f"a tensor on storage {shown(storage.key)} has a bad size or stride")
        if math.prod(shape) >= MAX_DIMENSION:
            raise self.fail(f"a tensor on storage {shown(storage.key)} has too many elements")
        return PickledTensor(storage, offset + storage.view_offset, shape, strides, dtype)

    def persistent(self, pid: Any) -> Storage:
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise self.fail("a persistent id that is not a storage")
        storage_type, key, _location, size = pid[1:5]
        if not isinstance(storage_type, _Global):
            raise self.fail("a storage whose type is not a storage class")
        short = storage_type.name.rsplit(".", 1)[-1]
        if storage_type.name == "torch.storage.UntypedStorage":
            dtype = None
        elif short in _STORAGES:
            dtype = _STORAGES[short]
        else:
            raise self.fail(f"{storage_type.name} is not a storage class")
        if not isinstance(key, str) or not (is_int(size) and 0 <= size < MAX_DIMENSION):
            raise self.fail("a storage with a bad key or size")
        view_offset = 0
        if len(pid) >= 6 and pid[5] is not None:  # legacy: (view key, offset, view size)
            view = pid[5]
            if not (isinstance(view, tuple) and len(view) == 3 and is_int(view[1]) and 0 <= view[1] < size):
                raise self.fail(f"storage {shown(key)} has a bad view")
            view_offset = view[1]
        known = self.storages.get(key)
        if known is not None and (known.dtype, known.size) != (dtype, size):
            raise self.fail(f"storage {shown(key)} is declared twice, differently")
        self.storages[key] = Storage(key, dtype, size)
        return Storage(key, dtype, size, view_offset)


# The opcodes a torch.save checkpoint uses, and how each is run; STOP ends the walk (see PickleMachine.step).
_ARGUMENT_OPCODES = (
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
    "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
    "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8",
)  # fmt: skip
OPCODES: dict[str, Callable[[PickleMachine, str, Any], None]] = {
    "PROTO": PickleMachine.op_nothing,
    "FRAME": PickleMachine.op_nothing,
    "MARK": PickleMachine.op_mark,
    "POP": PickleMachine.op_pop,
    "POP_MARK": PickleMachine.op_pop_mark,
    "DUP": PickleMachine.op_dup,
    "NONE": PickleMachine.op_none,
    "NEWTRUE": PickleMachine.op_bool,
    "NEWFALSE": PickleMachine.op_bool,
    **dict.fromkeys(_ARGUMENT_OPCODES, PickleMachine.op_argument),
    "EMPTY_DICT": PickleMachine.op_empty,
    "EMPTY_LIST": PickleMachine.op_empty,
    "EMPTY_SET": PickleMachine.op_empty,
    "EMPTY_TUPLE": PickleMachine.op_empty_tuple,
    "TUPLE1": PickleMachine.op_small_tuple,
    "TUPLE2": PickleMachine.op_small_tuple,
    "TUPLE3": PickleMachine.op_small_tuple,
    "TUPLE": PickleMachine.op_sequence,
    "LIST": PickleMachine.op_sequence,
    "FROZENSET": PickleMachine.op_sequence,
    "DICT": PickleMachine.op_dict,
    "APPEND": PickleMachine.op_append,
    "APPENDS": PickleMachine.op_appends,
    "ADDITEMS": PickleMachine.op_appends,
    "SETITEM": PickleMachine.op_setitem,
    "SETITEMS": PickleMachine.op_setitems,
    **dict.fromkeys(("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"), PickleMachine.op_put),
    **dict.fromkeys(("GET", "BINGET", "LONG_BINGET"), PickleMachine.op_get),
    "GLOBAL": PickleMachine.op_global,
    "STACK_GLOBAL": PickleMachine.op_stack_global,
    "INST": PickleMachine.op_instance,
    "OBJ": PickleMachine.op_instance,
    "REDUCE": PickleMachine.op_reduce,
    "NEWOBJ": PickleMachine.op_newobj,
    "NEWOBJ_EX": PickleMachine.op_newobj,
    "BUILD": PickleMachine.op_build,
    "BINPERSID": PickleMachine.op_binpersid,
    "PERSID": PickleMachine.op_persid,
}


def _key(value: Any) -> Any:
    if isinstance(value, _PLAIN_KEYS):
        return value
    if isinstance(value, tuple) and all(isinstance(item, _PLAIN_KEYS) for item in value):
        return value
    return _Key()


def walk_pickle(path: Path, data: bytes | io.BytesIO, storages: dict[str, Storage]) -> Any:
    stream = data if isinstance(data, io.BytesIO) else io.BytesIO(data)
    return PickleMachine(path, storages).run(stream)


def flatten_state(path: Path, root: Any) -> list[tuple[str, PickledTensor]]:
    """The tensors of a (possibly nested) state dict, named with dots; training state is left out."""
    found: list[tuple[str, PickledTensor]] = []
    seen: set[int] = set()

    def visit(prefix: str, value: Any, depth: int) -> None:
        if isinstance(value, PickledTensor):
            found.append((prefix or "tensor", value))
            return
        if not isinstance(value, dict | list | tuple) or id(value) in seen:
            return
        if depth > MAX_DEPTH:
            raise WeightsError(path, f"the checkpoint nests dicts more than {MAX_DEPTH} deep")
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if not isinstance(key, str | int) or isinstance(key, bool):
                continue
            if isinstance(key, str) and _TRAINING_STATE.search(key):
                continue
            visit(f"{prefix}.{key}" if prefix else str(key), item, depth + 1)

    visit("", root, 0)
    return found
