"""Loads a `minigrad train --save` model file into a PyTorch MLP with load_state_dict(strict=True).

Usage: /usr/bin/python3 tests/reference/check_tabular_model_torch.py MODEL.safetensors
Builds the network described by the file's "minigrad.model" metadata (Linear, BatchNorm1d, ReLU,
Dropout per hidden layer, then Linear, under the key "network"), loads the weights strictly, and
prints the preprocessing's label, task and classes. Not run by CI.
"""
import json
import struct
import sys

import torch
from torch import nn

DTYPES = {"F32": torch.float32, "I64": torch.int64, "F64": torch.float64}


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[start:end]), dtype=DTYPES[info["dtype"]])
        tensors[name] = t.reshape(info["shape"])
    return tensors, meta


def main():
    tensors, meta = read_safetensors(sys.argv[1])
    shape = json.loads(meta["minigrad.model"])
    prep = json.loads(meta["minigrad.preprocessing"])
    inputs = tensors["network.0.weight"].shape[1]
    outputs = 1 if prep["task"] == "regression" else len(prep["classes"])
    layers, width = [], inputs
    for h in shape["hidden"]:
        layers.append(nn.Linear(width, h))
        if shape["batchnorm"]:
            layers.append(nn.BatchNorm1d(h))
        layers.append(nn.ReLU())
        if shape["dropout"] > 0:
            layers.append(nn.Dropout(shape["dropout"]))
        width = h
    layers.append(nn.Linear(width, outputs))
    model = nn.Module()
    model.network = nn.Sequential(*layers)
    model.load_state_dict(tensors, strict=True)
    print(f"load_state_dict(strict=True): ok, {len(tensors)} tensors, {inputs} inputs")
    print(f"label {prep['label']!r}, task {prep['task']}, classes {prep.get('classes')}")


if __name__ == "__main__":
    main()
