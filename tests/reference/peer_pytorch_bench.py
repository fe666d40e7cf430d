#!/usr/bin/python3
# "The documents": README.md#the-documents.
"""Training and inference throughput of the documents' Fashion-MNIST model in PyTorch, as a peer
figure for minigrad's own benchmark.

Workload, per (batch size, thread count) configuration:
  model   (--model cnn: make_cnn()'s convolutional model on 1x28x28 images, SGD lr 0.05 momentum 0.9;
          the convolution backend PyTorch picks, oneDNN (mkldnn) when available, is reported)
          MyNN: Linear(784,128) BatchNorm1d ReLU Dropout(0.3) Linear(128,64) BatchNorm1d ReLU
          Dropout(0.3) Linear(64,10); CrossEntropyLoss; SGD lr 0.1
  data    preloaded float32 tensor [N,784] (pixels/255) and int64 labels; from a
          label,pixel1..pixel784 CSV (all rows are training rows), or synthetic data of the same
          shape when no CSV is found
  train   each epoch: randperm(N), batches by index_select, forward, loss, zero_grad, backward,
          step, loss.item(); only this loop is timed, for --seconds after a few warm-up steps
  infer   eval mode, no_grad, forward over consecutive batches of the same size, for --seconds
Each configuration runs in a fresh process so that its peak RSS (getrusage ru_maxrss) and thread
settings are its own. The peak is mostly the cost of loading PyTorch's libraries, so the current
RSS before building the model and after the timed phases (VmRSS) is reported too. The 1-minute
load average at the end of each configuration is recorded: on a shared machine, a thread count
above the number of idle cores makes the figures meaningless. Samples per second of process CPU
time are reported beside the wall-clock rates: with one thread they stay close to the figure of an
idle machine when other processes compete for the cores (with two, spinning threads inflate them).
Threads are set both in PyTorch (torch.set_num_threads) and in OpenBLAS (openblas_set_num_threads
through ctypes), since PyTorch's setting does not reach OpenBLAS; --blas-threads N gives OpenBLAS a
count of its own (0: the same as --threads).

  /usr/bin/python3 tests/reference/peer_pytorch_bench.py [--data data/fmnist_small.csv]
      [--batch-sizes 32,128,256] [--threads 1,2] [--seconds 3] [--json out.json|-] [--hidden 128,64]

The BLAS in use is reported from the libraries mapped into the process (OpenBLAS core name and
configuration, threadpoolctl if installed). OPENBLAS_CORETYPE, when set in the environment,
forces OpenBLAS's kernel choice; the value is recorded in the output.
Not part of the build or of CI.
"""

import argparse
import ctypes
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn

NUM_FEATURES = 784
NUM_CLASSES = 10
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_CSV = os.path.join(REPO_ROOT, "data", "fmnist_small.csv")


class MyNN(nn.Module):
    """The documents' model with hidden=(128, 64); --hidden gives other widths."""
    def __init__(self, num_features, hidden=(128, 64)):
        super().__init__()
        layers, width = [], num_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(p=0.3)]
            width = h
        self.network = nn.Sequential(*layers, nn.Linear(width, 10))

    def forward(self, features):
        return self.network(features)


# ----------------------------------------------------------------------------------------------
# BLAS detection and thread control
# ----------------------------------------------------------------------------------------------
class Cnn(nn.Module):
    """make_cnn()'s layout: two Conv2d(3x3, p=1)-BatchNorm2d-ReLU-MaxPool2d(2) blocks, then
    Flatten, Linear(3136,128)-BatchNorm1d-ReLU-Dropout(0.3), Linear(128,10)."""

    def __init__(self):
        super().__init__()
        self.network = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(p=0.3),
            nn.Linear(128, NUM_CLASSES))

    def forward(self, features):
        return self.network(features.reshape(-1, 1, 28, 28))


def mapped_libraries():
    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if "/" in line}
    except OSError:
        return []
    return sorted(paths)


def openblas_handle():
    for path in mapped_libraries():
        if "openblas" in os.path.basename(path):
            try:
                lib = ctypes.CDLL(path)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                lib.openblas_get_config.restype = ctypes.c_char_p
                return path, lib
            except (OSError, AttributeError):
                continue
    return None, None


def blas_info():
    info = {}
    build = torch.__config__.show()
    for key in ("BLAS_INFO", "LAPACK_INFO"):
        match = re.search(r"\b" + key + r"=([^,\s]+)", build)
        if match:
            info[key.lower()] = match.group(1)
    for line in build.splitlines():
        if "CPU capability usage" in line:
            info["torch_cpu_capability"] = line.split(":", 1)[1].strip()
    info["libraries"] = [p for p in mapped_libraries()
                         if any(k in os.path.basename(p) for k in ("blas", "lapack", "mkl", "dnnl", "gomp", "blis"))]
    path, lib = openblas_handle()
    if lib is not None:
        info["openblas_library"] = path
        info["openblas_corename"] = lib.openblas_get_corename().decode()
        info["openblas_config"] = lib.openblas_get_config().decode()
        info["openblas_threads"] = lib.openblas_get_num_threads()
    try:
        from threadpoolctl import threadpool_info
        info["threadpoolctl"] = [{k: v for k, v in d.items() if k != "filepath"} for d in threadpool_info()]
    except ImportError:
        pass
    return info


def set_threads(n, blas_n):
    torch.set_num_threads(n)
    _, lib = openblas_handle()
    if lib is not None:
        lib.openblas_set_num_threads(blas_n or n)


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def current_rss_kib():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------
def load_data(path, rows, seed):
    """(X float32 [N,784] in [0,1], Y int64 [N], description)."""
    if path and os.path.exists(path):
        table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, max_rows=rows, ndmin=2)
        if table.shape[1] != NUM_FEATURES + 1:
            sys.exit(f"{path}: rows have {table.shape[1]} columns, expected {NUM_FEATURES + 1}")
        return (table[:, 1:] / 255.0).astype(np.float32), table[:, 0].copy(), f"csv:{path}"
    n = rows or 6000
    rng = np.random.RandomState(seed)
    x = (rng.randint(0, 256, size=(n, NUM_FEATURES)) / 255.0).astype(np.float32)
    y = rng.randint(0, NUM_CLASSES, size=n).astype(np.int64)
    return x, y, f"synthetic:{n}x{NUM_FEATURES}"


# ----------------------------------------------------------------------------------------------
# One configuration
# ----------------------------------------------------------------------------------------------
def run_config(x_np, y_np, batch_size, threads, seconds, seed, warmup_steps, blas_threads=0,
               model_kind="mlp", hidden=(128, 64)):
    set_threads(threads, blas_threads)
    torch.manual_seed(seed)
    x = torch.from_numpy(x_np)
    y = torch.from_numpy(y_np)
    n = x.shape[0]
    rss_before = current_rss_kib()

    model = Cnn() if model_kind == "cnn" else MyNN(NUM_FEATURES, hidden)
    criterion = nn.CrossEntropyLoss()
    if model_kind == "cnn":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def batches():
        while True:
            perm = torch.randperm(n)
            for start in range(0, n, batch_size):
                idx = perm[start:start + batch_size]
                if idx.numel() < 2:  # BatchNorm cannot train on a single row
                    continue
                yield x.index_select(0, idx), y.index_select(0, idx)

    def step(features, labels):
        outputs = model(features)
        loss = criterion(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    model.train()
    stream = batches()
    for _ in range(warmup_steps):
        step(*next(stream))
    samples = steps = 0
    loss_value = float("nan")
    start = time.perf_counter()
    cpu_start = time.process_time()
    elapsed = 0.0
    while elapsed < seconds:
        features, labels = next(stream)
        loss_value = step(features, labels)
        samples += labels.shape[0]
        steps += 1
        elapsed = time.perf_counter() - start
    train_cpu = time.process_time() - cpu_start
    train_rate = samples / elapsed

    model.eval()
    infer_samples = 0
    with torch.no_grad():
        for start in range(0, min(n, batch_size * warmup_steps), batch_size):
            model(x[start:start + batch_size])
        start_t = time.perf_counter()
        cpu_start = time.process_time()
        elapsed_i = 0.0
        position = 0
        while elapsed_i < seconds:
            chunk = x[position:position + batch_size]
            model(chunk)
            infer_samples += chunk.shape[0]
            position = position + batch_size if position + batch_size < n else 0
            elapsed_i = time.perf_counter() - start_t
    infer_cpu = time.process_time() - cpu_start
    infer_rate = infer_samples / elapsed_i

    return {
        "batch_size": batch_size,
        "threads": threads,
        "train_samples_per_s": round(train_rate, 1),
        "train_steps": steps,
        "train_seconds": round(elapsed, 3),
        "train_cpu_seconds": round(train_cpu, 3),
        "train_samples_per_cpu_s": round(samples / train_cpu, 1) if train_cpu > 0 else None,
        "last_loss": round(loss_value, 5),
        "infer_samples_per_s": round(infer_rate, 1),
        "infer_seconds": round(elapsed_i, 3),
        "infer_cpu_seconds": round(infer_cpu, 3),
        "infer_samples_per_cpu_s": round(infer_samples / infer_cpu, 1) if infer_cpu > 0 else None,
        "rss_before_model_kib": rss_before,
        "rss_after_kib": current_rss_kib(),
        "peak_rss_kib": peak_rss_kib(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "torch_threads": torch.get_num_threads(),
        "openblas_threads": blas_info().get("openblas_threads"),
        "model": model_kind,
        "hidden": list(hidden),
        "mkldnn_available": torch.backends.mkldnn.is_available(),
    }


def parse_list(text):
    return [int(v) for v in text.split(",") if v.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_CSV,
                    help="label,pixel1..pixel784 CSV; synthetic data of the same shape if it does not exist")
    ap.add_argument("--rows", type=int, default=None, help="rows to use (CSV: first N; synthetic: N, default 6000)")
    ap.add_argument("--batch-sizes", default="32,128,256")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--blas-threads", type=int, default=0, help="OpenBLAS threads (0: the same as --threads)")
    ap.add_argument("--seconds", type=float, default=3.0, help="time budget of each timed phase per configuration")
    ap.add_argument("--warmup-steps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the results as JSON to this file ('-' for stdout)")
    ap.add_argument("--same-process", action="store_true",
                    help="run every configuration in this process (peak RSS then accumulates)")
    ap.add_argument("--model", choices=["mlp", "cnn"], default="mlp",
                    help="mlp (the documents' MyNN) or cnn (make_cnn()'s convolutional model)")
    ap.add_argument("--hidden", default="128,64", help="hidden widths of the MLP (the documents' 128,64)")
    ap.add_argument("--child-npz", help=argparse.SUPPRESS)
    args = ap.parse_args()
    batch_sizes, thread_counts = parse_list(args.batch_sizes), parse_list(args.threads)

    if args.child_npz:  # one configuration, result as one JSON line
        data = np.load(args.child_npz)
        result = run_config(data["x"], data["y"], batch_sizes[0], thread_counts[0], args.seconds, args.seed,
                            args.warmup_steps, args.blas_threads, args.model, parse_list(args.hidden))
        print(json.dumps(result))
        return

    x, y, source = load_data(args.data, args.rows, args.seed)
    report = {
        "framework": "pytorch",
        "version": torch.__version__,
        "python": sys.version.split()[0],
        "environment": {k: os.environ.get(k) for k in
                        ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
        "blas": blas_info(),
        "data": {"source": source, "rows": int(x.shape[0])},
        "seconds_per_phase": args.seconds,
        "results": [],
    }
    print(f"model {args.model}; mkldnn (oneDNN) convolutions available: "
          f"{torch.backends.mkldnn.is_available()}", flush=True)
    print(f"pytorch {torch.__version__}; OpenBLAS core {report['blas'].get('openblas_corename', '?')} "
          f"(OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}); data {source}, {x.shape[0]} rows", flush=True)
    print(f"{'batch':>5} {'thr':>3} {'train samples/s':>15} {'infer samples/s':>15} {'train/cpu-s':>11} {'infer/cpu-s':>11} "
          f"{'peak RSS MiB':>12} {'RSS MiB before/after':>20} {'load':>5}", flush=True)

    tmpdir = None
    if not args.same_process:
        tmpdir = tempfile.TemporaryDirectory(prefix="peer_bench_")
        npz = os.path.join(tmpdir.name, "data.npz")
        np.savez(npz, x=x, y=y)
    try:
        for batch_size in batch_sizes:
            for threads in thread_counts:
                if args.same_process:
                    result = run_config(x, y, batch_size, threads, args.seconds, args.seed, args.warmup_steps,
                                        args.blas_threads, args.model, parse_list(args.hidden))
                else:
                    out = subprocess.run(
                        [sys.executable, os.path.abspath(__file__), "--child-npz", npz,
                         "--batch-sizes", str(batch_size), "--threads", str(threads),
                         "--seconds", str(args.seconds), "--seed", str(args.seed),
                         "--warmup-steps", str(args.warmup_steps), "--blas-threads", str(args.blas_threads),
                         "--model", args.model, "--hidden", args.hidden],
                        check=True, stdout=subprocess.PIPE, text=True)
                    result = json.loads(out.stdout.strip().splitlines()[-1])
                report["results"].append(result)
                print(f"{batch_size:>5} {threads:>3} {result['train_samples_per_s']:>15.0f} "
                      f"{result['infer_samples_per_s']:>15.0f} {result['train_samples_per_cpu_s'] or 0:>11.0f} "
                      f"{result['infer_samples_per_cpu_s'] or 0:>11.0f} {result['peak_rss_kib'] / 1024:>12.1f} "
                      f"{(result['rss_before_model_kib'] or 0) / 1024:>10.1f}/{(result['rss_after_kib'] or 0) / 1024:<9.1f} "
                      f"{result['load_average_1min']:>5.2f}", flush=True)
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()

    if args.json:
        text = json.dumps(report, indent=2)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as fh:
                fh.write(text + "\n")


if __name__ == "__main__":
    main()
