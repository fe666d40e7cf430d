#!/usr/bin/python3
# "The documents": README.md#the-documents.
"""The documents' Fashion-MNIST experiment, run in PyTorch (1.13) as the reference for minigrad.

Model, optimiser and loop are those of the experiment's PyTorch code:
  MyNN = Linear(784,128) BatchNorm1d(128) ReLU Dropout(0.3)
         Linear(128,64)  BatchNorm1d(64)  ReLU Dropout(0.3) Linear(64,10)
  CrossEntropyLoss, SGD(lr=0.1), batch 32 shuffled by a DataLoader, 10 epochs, pixels/255,
  torch.manual_seed(42) before anything random, eval mode (running BatchNorm statistics, no
  dropout) for the test accuracy.

Data (CSV with header label,pixel1..pixel784, as written by minigrad's prepare_data):
  --data FILE            one file split 80/20 into train/test (the documents' fmnist_small.csv)
  --train F --test F     separate files (the full 60k/10k Fashion-MNIST)
Split modes for --data:
  --split permutation    (default) numpy RandomState(--split-seed).permutation(n); the first
                         ceil(0.2 n) rows are the test set, the rest the training set, each in
                         permutation order. This is the same procedure as scikit-learn's
                         train_test_split(test_size=0.2, random_state=20) without the dependency,
                         so with --split-seed 20 both modes select the same rows in the same order.
  --split sklearn        call scikit-learn's train_test_split itself (Debian: python3-sklearn).

--save FILE writes the trained state_dict as safetensors with the pure-Python writer below;
--load FILE reads such a file back (pure Python), loads it into MyNN with strict=True, skips
training and prints the test accuracy.

Run with Debian's PyTorch: /usr/bin/python3 tests/reference/documents_experiment.py --data data/fmnist_small.csv
Not part of the build or of CI.
"""

import argparse
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

NUM_FEATURES = 784
NUM_CLASSES = 10


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------
def read_csv(path, max_rows=None):
    """Returns (pixels uint8 [n,784], labels int64 [n]) from a label,pixel1..pixel784 CSV."""
    with open(path, "r") as fh:
        header = fh.readline().strip().split(",")
    if len(header) != NUM_FEATURES + 1 or header[0] != "label":
        sys.exit(f"{path}: expected header label,pixel1..pixel{NUM_FEATURES}, got {len(header)} columns")
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, max_rows=max_rows, ndmin=2)
    if table.shape[1] != NUM_FEATURES + 1:
        sys.exit(f"{path}: rows have {table.shape[1]} columns, expected {NUM_FEATURES + 1}")
    labels = table[:, 0].copy()
    pixels = table[:, 1:]
    if labels.min() < 0 or labels.max() >= NUM_CLASSES or pixels.min() < 0 or pixels.max() > 255:
        sys.exit(f"{path}: label or pixel out of range")
    return pixels.astype(np.uint8), labels


def split_indices(n, test_size, seed, mode):
    """(train_idx, test_idx) for an n-row table."""
    if mode == "sklearn":
        try:
            from sklearn.model_selection import train_test_split
        except ImportError:
            sys.exit("--split sklearn needs scikit-learn (apt-get install python3-sklearn)")
        train_idx, test_idx = train_test_split(np.arange(n), test_size=test_size, random_state=seed)
        return np.asarray(train_idx), np.asarray(test_idx)
    # Same arithmetic as ShuffleSplit: n_test = ceil(test_size * n), one permutation of a
    # RandomState(seed), test rows first.
    n_test = int(math.ceil(test_size * n))
    perm = np.random.RandomState(seed).permutation(n)
    return perm[n_test:], perm[:n_test]


class CustomDataset(Dataset):
    def __init__(self, features, labels):
        self.features = features
        self.labels = labels

    def __len__(self):
        return len(self.features)

    def __getitem__(self, idx):
        return self.features[idx], self.labels[idx]


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------
class MyNN(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(num_features, 128),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Dropout(p=0.3),
            nn.Linear(128, 64),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Dropout(p=0.3),
            nn.Linear(64, 10),
        )

    def forward(self, features):
        return self.network(features)


# ----------------------------------------------------------------------------------------------
# safetensors (pure Python; layout as in docs/semantics.md#safetensors)
# ----------------------------------------------------------------------------------------------
_DTYPES = {  # safetensors name -> (numpy dtype little-endian, torch dtype)
    "F32": ("<f4", torch.float32),
    "F64": ("<f8", torch.float64),
    "I64": ("<i8", torch.int64),
    "I32": ("<i4", torch.int32),
    "U8": ("u1", torch.uint8),
}
_TORCH_TO_ST = {torch.float32: "F32", torch.int64: "I64"}
_WRITE_ORDER = {"I64": 0, "F32": 1}  # 8-byte types first keeps every tensor naturally aligned


def save_safetensors(state_dict, path):
    entries = []
    for name, tensor in state_dict.items():
        if tensor.dtype not in _TORCH_TO_ST:
            raise ValueError(f"{name}: dtype {tensor.dtype} not supported by this writer")
        entries.append((_WRITE_ORDER[_TORCH_TO_ST[tensor.dtype]], name, tensor))
    entries.sort(key=lambda e: (e[0], e[1]))

    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for _, name, tensor in entries:
        st_dtype = _TORCH_TO_ST[tensor.dtype]
        data = tensor.detach().cpu().contiguous().numpy().astype(_DTYPES[st_dtype][0], copy=False).tobytes()
        header[name] = {"dtype": st_dtype, "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)

    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(header_bytes)))
        fh.write(header_bytes)
        for blob in blobs:
            fh.write(blob)
    return 8 + len(header_bytes) + offset


def load_safetensors(path):
    """Reads a safetensors file into {name: torch.Tensor}, checking the rules readers enforce."""
    with open(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > 100_000_000 or 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} does not fit a {len(raw)}-byte file")
    header_text = raw[8:8 + n].decode("utf-8")
    if not header_text.startswith("{"):
        raise ValueError(f"{path}: header does not start with '{{'")

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError(f"{path}: duplicate key in header")
        return dict(pairs)

    header = json.loads(header_text, object_pairs_hook=no_duplicates)
    header.pop("__metadata__", None)
    buffer = memoryview(raw)[8 + n:]

    spans = []
    tensors = {}
    for name, info in header.items():
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in _DTYPES:
            raise ValueError(f"{path}: {name}: unsupported dtype {dtype}")
        np_dtype, torch_dtype = _DTYPES[dtype]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end < begin or end - begin != count * np.dtype(np_dtype).itemsize:
            raise ValueError(f"{path}: {name}: offsets [{begin},{end}) do not match shape {shape} {dtype}")
        if end > len(buffer):
            raise ValueError(f"{path}: {name}: data [{begin},{end}) past the end of a {len(buffer)}-byte buffer")
        spans.append((begin, end, name))
        array = np.frombuffer(buffer[begin:end], dtype=np_dtype).reshape(shape)
        tensors[name] = torch.from_numpy(array.astype(np_dtype, copy=True)).to(torch_dtype)
    spans.sort()
    position = 0
    for begin, end, name in spans:
        if begin != position:
            raise ValueError(f"{path}: {name}: data not contiguous (starts at {begin}, expected {position})")
        position = end
    if position != len(buffer):
        raise ValueError(f"{path}: buffer has {len(buffer)} bytes, tensors cover {position}")
    return tensors


# ----------------------------------------------------------------------------------------------
# Experiment
# ----------------------------------------------------------------------------------------------
def evaluate(model, loader):
    model.eval()
    total = 0
    correct = 0
    with torch.no_grad():
        for batch_features, batch_labels in loader:
            outputs = model(batch_features)
            _, predicted = torch.max(outputs, 1)
            total = total + batch_labels.shape[0]
            correct = correct + (predicted == batch_labels).sum().item()
    return correct / total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="one CSV split 80/20 into train/test")
    ap.add_argument("--train", help="training CSV (with --test)")
    ap.add_argument("--test", help="test CSV (with --train, or alone with --load)")
    ap.add_argument("--split", choices=["permutation", "sklearn"], default="permutation")
    ap.add_argument("--split-seed", type=int, default=20, help="random_state of the 80/20 split (documents: 20)")
    ap.add_argument("--test-size", type=float, default=0.2)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=42, help="torch.manual_seed (documents: 42)")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave PyTorch's default)")
    ap.add_argument("--max-rows", type=int, default=None, help="read only the first N rows of each CSV")
    ap.add_argument("--save", help="write the trained state_dict as safetensors")
    ap.add_argument("--load", help="read a safetensors state_dict, skip training, evaluate")
    args = ap.parse_args()

    if args.data and (args.train or args.test):
        ap.error("use either --data or --train/--test")
    if not args.data and not args.test:
        ap.error("give --data FILE, or --train FILE --test FILE (or --test FILE with --load)")
    if not args.data and not args.load and not args.train:
        ap.error("--test needs --train unless --load is given")
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    torch.manual_seed(args.seed)

    if args.data:
        pixels, labels = read_csv(args.data, args.max_rows)
        train_idx, test_idx = split_indices(len(labels), args.test_size, args.split_seed, args.split)
        xtrain, ytrain = pixels[train_idx], labels[train_idx]
        xtest, ytest = pixels[test_idx], labels[test_idx]
        print(f"data: {args.data}: {len(labels)} rows, split {args.split} seed {args.split_seed}: "
              f"{len(ytrain)} train / {len(ytest)} test")
    else:
        xtest, ytest = read_csv(args.test, args.max_rows)
        if args.train:
            xtrain, ytrain = read_csv(args.train, args.max_rows)
        else:
            xtrain, ytrain = xtest[:0], ytest[:0]
        print(f"data: train {args.train}: {len(ytrain)} rows, test {args.test}: {len(ytest)} rows")

    # x / 255.0 in float64 as pandas does, then .float(), as in the documents.
    xtrain_tensor = torch.from_numpy(xtrain / 255.0).float()
    xtest_tensor = torch.from_numpy(xtest / 255.0).float()
    ytrain_tensor = torch.from_numpy(ytrain)
    ytest_tensor = torch.from_numpy(ytest)

    train_loader = DataLoader(CustomDataset(xtrain_tensor, ytrain_tensor), batch_size=args.batch_size, shuffle=True)
    # The documents shuffle the test loader too; order cannot change an eval-mode accuracy, and
    # its one draw from the global generator happens after training, so it is left unshuffled.
    test_loader = DataLoader(CustomDataset(xtest_tensor, ytest_tensor), batch_size=args.batch_size, shuffle=False)

    model = MyNN(NUM_FEATURES)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"parameters {sum(p.numel() for p in model.parameters())}")

    if args.load:
        state = load_safetensors(args.load)
        model.load_state_dict(state, strict=True)
        print(f"loaded {args.load}: {len(state)} tensors")
    else:
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
        start = time.perf_counter()
        for epoch in range(args.epochs):
            model.train()
            total_epoch_loss = 0
            for batch_features, batch_labels in train_loader:
                outputs = model(batch_features)
                loss = criterion(outputs, batch_labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total_epoch_loss = total_epoch_loss + loss.item()
            avg_loss = total_epoch_loss / len(train_loader)
            print(f"Epoch: {epoch + 1} , Loss: {avg_loss}", flush=True)
        print(f"training time: {time.perf_counter() - start:.2f} s")

    accuracy = evaluate(model, test_loader)
    print(f"test accuracy: {accuracy:.4f} ({round(accuracy * len(ytest))}/{len(ytest)})")

    if args.save:
        size = save_safetensors(model.state_dict(), args.save)
        print(f"saved {args.save}: {size} bytes")


if __name__ == "__main__":
    main()
