#!/usr/bin/python3
# "The documents": README.md#the-documents.
"""Cross-checks minigrad's safetensors files against PyTorch 1.13 (run by hand, never by CI).

The `safetensors` package is not installable here, so this script carries a minimal reader and
writer (struct + json + torch.frombuffer) that follow the reference rules of
docs/semantics.md#safetensors (compact JSON, __metadata__ first, tensors by
descending dtype then name, header padded with spaces to a multiple of 8).

  check_safetensors_torch.py load FILE [--io IO_FILE]
      Validates FILE, loads it into the documents' MyNN with load_state_dict(strict=True)
      (keys under "preprocess." are set aside, as minigrad's checkpoint load does), and checks
      that re-writing the same tensors with the reference layout gives FILE byte for byte.
      With --io, IO_FILE holds "input" and "output" tensors: the eval output of the model on
      "input" must equal "output".
  check_safetensors_torch.py write OUT [--features N --hidden A B --classes C] [--io IO_FILE]
      Writes a seeded MyNN (BatchNorm statistics moved by three training-mode batches) to OUT,
      and with --io the eval output on a fixed input, for minigrad to load.
  check_safetensors_torch.py fixture
      Writes tests/fixtures/torch_mynn_small.safetensors (MyNN(6) with hidden 8, 6 and 3
      classes) and prints the eval outputs that tests/test_io_checkpoint.cpp freezes.
"""
import argparse
import json
import os
import struct
import sys

import torch
from torch import nn

MAX_HEADER = 100_000_000
# Element size and rank in the reference Dtype enum (declared in increasing alignment).
DTYPES = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32",
          "F32", "F64", "I64", "U64"]
TORCH_OF = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
NAME_OF = {v: k for k, v in TORCH_OF.items()}
ITEMSIZE = {"F32": 4, "F64": 8, "I64": 8}


class MyNN(nn.Module):
    """The documents' model; hidden sizes and classes are parameters for the small fixture."""

    def __init__(self, num_features, hidden=(128, 64), classes=10):
        super().__init__()
        h1, h2 = hidden
        self.network = nn.Sequential(
            nn.Linear(num_features, h1), nn.BatchNorm1d(h1), nn.ReLU(), nn.Dropout(p=0.3),
            nn.Linear(h1, h2), nn.BatchNorm1d(h2), nn.ReLU(), nn.Dropout(p=0.3),
            nn.Linear(h2, classes))

    def forward(self, features):
        return self.network(features)


def read(path):
    """Returns (tensors in offset order as a dict, metadata), enforcing the reference rules."""
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) >= 8, f"{path}: shorter than 8 bytes"
    (n,) = struct.unpack("<Q", data[:8])
    assert n <= MAX_HEADER and 8 + n <= len(data), f"{path}: bad header length {n}"
    raw = data[8:8 + n]
    assert raw[:1] == b"{", f"{path}: header does not start with '{{'"
    text = raw.decode("utf-8")
    body = text.rstrip(" ")
    assert body.endswith("}"), f"{path}: header padding is not spaces"

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"{path}: duplicate keys"
        return dict(pairs)

    header = json.loads(body, object_pairs_hook=no_duplicates)
    metadata = header.pop("__metadata__", {})
    assert all(isinstance(v, str) for v in metadata.values()), "metadata values must be strings"
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    tensors, expected = {}, 0
    buffer = data[8 + n:]
    for name, info in entries:
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        assert begin == expected, f"{name}: offset {begin}, expected {expected} (gap or overlap)"
        numel = 1
        for d in shape:
            assert isinstance(d, int) and d >= 0
            numel *= d
        assert end - begin == numel * ITEMSIZE[dtype], f"{name}: wrong byte count"
        tensors[name] = torch.frombuffer(bytearray(buffer[begin:end]) or bytearray(1),
                                         dtype=TORCH_OF[dtype])[:numel].reshape(shape)
        expected = end
    assert expected == len(buffer), f"{path}: {len(buffer) - expected} trailing bytes"
    return tensors, metadata


def serialize(tensors, metadata):
    """The reference writer's bytes for a dict of tensors."""
    order = sorted(tensors.items(),
                   key=lambda kv: (-DTYPES.index(NAME_OF[kv[1].dtype]), kv[0]))
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in order:
        b = t.detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": NAME_OF[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def write(path, tensors, metadata):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(serialize(tensors, metadata))
    os.replace(tmp, path)


def fixed_input(rows, features):
    """Exact float32 values any implementation can rebuild: ((7i + 3j) mod 11 − 5) / 4."""
    x = [[((7 * i + 3 * j) % 11 - 5) / 4.0 for j in range(features)] for i in range(rows)]
    return torch.tensor(x, dtype=torch.float32)


def seeded_model(features, hidden, classes):
    torch.manual_seed(0)
    model = MyNN(features, hidden, classes)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, features))
    return model.eval()


def cmd_load(args):
    tensors, metadata = read(args.file)
    own = {k: v for k, v in tensors.items() if not k.startswith("preprocess.")}
    extras = sorted(set(tensors) - set(own))
    w0 = own["network.0.weight"]
    model = MyNN(w0.shape[1], (w0.shape[0], own["network.4.weight"].shape[0]),
                 own["network.8.weight"].shape[0])
    result = model.load_state_dict(own, strict=True)
    print(f"{args.file}: {len(own)} tensors loaded into MyNN({w0.shape[1]}) with "
          f"strict=True ({result}); extras {extras}; metadata {metadata}")
    for k in ("network.1.num_batches_tracked", "network.5.num_batches_tracked"):
        print(f"  {k}: dtype {tensors[k].dtype}, shape {tuple(tensors[k].shape)}, "
              f"value {tensors[k].item()}")
    with open(args.file, "rb") as f:
        same = f.read() == serialize(tensors, metadata)
    print(f"  reference writer reproduces the file byte for byte: {same}")
    ok = same
    if args.io:
        io, _ = read(args.io)
        with torch.no_grad():
            out = model.eval()(io["input"])
        diff = (out - io["output"]).abs().max().item()
        print(f"  eval output vs minigrad's: max |difference| = {diff:.3g} over "
              f"{tuple(out.shape)}")
        ok = ok and diff <= 1e-5
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


def cmd_write(args):
    model = seeded_model(args.features, tuple(args.hidden), args.classes)
    write(args.out, model.state_dict(), {"format": "pt"})
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")
    if args.io:
        x = fixed_input(8, args.features)
        with torch.no_grad():
            write(args.io, {"input": x, "output": model(x)}, {"format": "pt"})
        print(f"wrote {args.io}")
    return 0


def cmd_fixture(_):
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "fixtures", "torch_mynn_small.safetensors")
    model = seeded_model(6, (8, 6), 3)
    write(path, model.state_dict(), {"format": "pt"})
    x = fixed_input(6, 6)
    with torch.no_grad():
        y = model(x)
    print(f"// {os.path.relpath(path)}: {os.path.getsize(path)} bytes, torch {torch.__version__}")
    print("// eval output of MyNN(6, hidden 8, 6, classes 3) on fixed_input(6, 6)")
    print("const std::vector<float> k_torch_output = {" +
          ", ".join("{:.9g}f".format(v) for v in y.flatten().tolist()) + "};")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("load")
    p.add_argument("file")
    p.add_argument("--io")
    p.set_defaults(run=cmd_load)
    p = sub.add_parser("write")
    p.add_argument("out")
    p.add_argument("--features", type=int, default=784)
    p.add_argument("--hidden", type=int, nargs=2, default=[128, 64])
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--io")
    p.set_defaults(run=cmd_write)
    p = sub.add_parser("fixture")
    p.set_defaults(run=cmd_fixture)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
