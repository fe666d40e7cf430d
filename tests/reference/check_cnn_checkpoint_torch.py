#!/usr/bin/python3
"""Cross-checks `train_fmnist --model cnn` checkpoints with PyTorch 1.13 (run by hand, never by CI).

The model is an nn.Module whose `network` is the nn.Sequential of make_cnn()'s layers, so its
state_dict keys are those minigrad writes (network.0.weight ... network.14.bias). Files are read
and written with the small safetensors reader/writer of check_safetensors_torch.py.

  check_cnn_checkpoint_torch.py load FILE --test data/fashion-mnist_test.csv
      Loads minigrad's FILE with load_state_dict(strict=True) (the "preprocess." extras set
      aside), scales pixels as its metadata says, and prints the eval-mode test accuracy.
  check_cnn_checkpoint_torch.py train OUT --train data/fashion-mnist_train.csv
      --test data/fashion-mnist_test.csv [--epochs 1] [--seed 0] [--threads 1]
      Trains the same model in PyTorch (SGD lr 0.05, momentum 0.9, batch 64, pixels/255), prints
      its test accuracy and writes its state_dict to OUT with metadata {"format": "pt"} only, as
      PyTorch users write files: `train_fmnist --model cnn --load OUT --eval-only` must print the
      same accuracy.
"""
import argparse
import sys
import time

import numpy as np
import torch
from torch import nn

from check_safetensors_torch import read, write


class Cnn(nn.Module):
    """make_cnn()'s default layout on 1x28x28 images."""

    def __init__(self, channels=1, conv=(32, 64), side=28, hidden=128, classes=10, dropout=0.3):
        super().__init__()
        layers, c = [], channels
        for out in conv:
            layers += [nn.Conv2d(c, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(),
                       nn.MaxPool2d(2)]
            c, side = out, side // 2
        layers += [nn.Flatten(), nn.Linear(c * side * side, hidden), nn.BatchNorm1d(hidden),
                   nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(hidden, classes))
        self.network = nn.Sequential(*layers)

    def forward(self, x):
        return self.network(x.reshape(-1, 1, 28, 28))


def read_csv(path):
    """label,pixel1..pixel784 rows -> (float32 pixels [N,784] unscaled, int64 labels)."""
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    return torch.from_numpy(table[:, 1:].copy()), torch.from_numpy(table[:, 0].astype(np.int64))


def accuracy(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    return correct, len(x)


def cmd_load(args):
    tensors, metadata = read(args.file)
    own = {k: v for k, v in tensors.items() if not k.startswith("preprocess.")}
    dropout = float(metadata.get("minigrad.dropout", "0.3"))
    model = Cnn(dropout=dropout)
    result = model.load_state_dict(own, strict=True)
    scaling = metadata.get("minigrad.scaling", "divide:255")
    assert scaling.startswith("divide:"), f"this script scales by division only, not {scaling}"
    x, y = read_csv(args.test)
    correct, total = accuracy(model, x / float(scaling[7:]), y)
    print(f"{args.file}: {len(own)} tensors loaded with strict=True ({result}); metadata "
          f"{metadata}")
    print(f"test accuracy: {correct / total:.4f} ({correct}/{total})")
    return 0


def cmd_train(args):
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    x, y = read_csv(args.train)
    x /= 255.0
    model = Cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        model.train()
        start, order = time.time(), torch.randperm(len(x))
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}, {time.time() - start:.1f}s")
    tx, ty = read_csv(args.test)
    correct, total = accuracy(model, tx / 255.0, ty)
    print(f"PyTorch test accuracy: {correct / total:.4f} ({correct}/{total})")
    write(args.out, model.state_dict(), {"format": "pt"})
    print(f"wrote {args.out}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("load")
    p.add_argument("file")
    p.add_argument("--test", required=True)
    p.set_defaults(run=cmd_load)
    p = sub.add_parser("train")
    p.add_argument("out")
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(run=cmd_train)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
