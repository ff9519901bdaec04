"""Writes the PyTorch fixtures beside this file with real torch, and prints what torch.load reads back.

Not run by the tests (torch is not a dependency of lintml): run once, in a throwaway virtualenv
with torch, to remake the fixtures; the printed numbers are the literals in tests/unit/test_weights.py::

    python -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch==2.13.0
    /tmp/torchvenv/bin/python tests/data/weights/make_torch_fixtures.py tests/data/weights
"""

import sys
from pathlib import Path

import torch

out = Path(sys.argv[1])
pnet = torch.load(out / "facenet-pnet.pt", weights_only=True)
torch.save(pnet, out / "facenet-pnet-zip.pt")

base = torch.arange(12, dtype=torch.float32)
model = {
    "a": (base.reshape(3, 4) / 8 - 0.5).to(torch.bfloat16),
    "b": base.reshape(4, 3).t(),  # a transposed view: strides (1, 3)
    "c": torch.arange(10, dtype=torch.int64)[2:7],  # a slice: storage offset 2
    "e": torch.tensor([1.5, -2.0, 3.25]).expand(2, 3),  # stride 0
    "p": torch.nn.Parameter(torch.tensor([0.25, -0.75], dtype=torch.float16)),
    "nested": {"x": torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)},
}
model["tied"] = model["a"]
checkpoint = {
    "model": model,
    "optimizer": {"state": {0: {"exp_avg": torch.zeros(3)}}, "param_groups": [{"lr": 1e-3, "params": [0]}]},
    "epoch": 3,
    "device": torch.device("cpu"),
    "dtype": torch.float16,
    "size": torch.Size([2, 3]),
    "note": b"bytes",
}
torch.save(checkpoint, out / "torch-misc.pt")
torch.save(checkpoint, out / "torch-misc-p4.pt", pickle_protocol=4)


def walk(prefix: str, value: object) -> None:
    if isinstance(value, torch.Tensor):
        flat = value.detach().double().flatten()
        facts = (str(value.dtype), tuple(value.shape), value.stride(), float(flat.sum()), flat[:3].tolist())
        print(f"    {prefix!r}: {facts},")
    elif isinstance(value, dict):
        for key, item in value.items():
            walk(f"{prefix}.{key}" if prefix else str(key), item)


for name in ("facenet-pnet.pt", "facenet-pnet-zip.pt", "torch-misc.pt", "torch-misc-p4.pt"):
    # weights_only=False only for our own protocol-4 file, which torch's safe loader does not parse
    print(name)
    walk("", torch.load(out / name, weights_only=not name.endswith("-p4.pt")))
