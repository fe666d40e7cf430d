#!/usr/bin/python3
"""Scaling charts for docs/benchmarks.md: samples/s against batch size and against hidden width for
minigrad, PyTorch and libtorch, and GFLOP/s against matrix size for the sgemm kernels with
OpenBLAS's one- and two-core rates drawn in. Python's standard library only.

  /usr/bin/python3 docs/scaling/scaling.py measure [--rounds 3] [--seconds 1.5] [--libtorch BIN]
      runs build/bin/bench, tests/reference/peer_pytorch_bench.py and, when it is built, the
      libtorch peer (build-peer-libtorch/peer_libtorch_bench, tests/reference/README.md) in
      interleaved rounds and writes the medians to docs/scaling/{batch,hidden,gemm}.csv
  /usr/bin/python3 docs/scaling/scaling.py plot
      draws docs/img/scaling_{batch,hidden,gemm}.svg from those CSV files
"""

import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BENCH = os.path.join(ROOT, "build", "bin", "bench")
PEER = os.path.join(ROOT, "tests", "reference", "peer_pytorch_bench.py")
DATA = os.path.join(ROOT, "data", "fashion-mnist_train.csv")
PEER_DATA = os.path.join(ROOT, "data", "fmnist_small.csv")
LIBTORCH = os.path.join(ROOT, "build-peer-libtorch", "peer_libtorch_bench")

BATCH_SIZES = [8, 16, 32, 64, 128, 256, 512, 1024, 2048]
WIDTHS = [32, 64, 128, 256, 512, 1024, 2048]  # two hidden layers of this width, batch 128
GEMM_SIZES = [64, 128, 256, 512, 1024, 2048]


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
    return json.loads(out[out.index("{"):])


def peer_env():
    env = dict(os.environ)
    env["OPENBLAS_CORETYPE"] = "SKYLAKEX"  # the peer at its best on this CPU
    return env


def libtorch_runs(binary, sec, batch_sizes, hidden=None):
    """The libtorch peer on one thread (one OpenBLAS thread, SkylakeX kernels): its results."""
    cmd = [binary, "--data", PEER_DATA, "--threads", "1", "--batch-sizes",
           ",".join(map(str, batch_sizes)), "--seconds", sec, "--json", "-"]
    if hidden:
        cmd += ["--hidden", hidden]
    return run_json(cmd, env=peer_env())["results"]


def measure(rounds, seconds, libtorch):
    """Per round: minigrad (1 and 2 threads), then PyTorch (1 thread, its best here), then
    libtorch when given (1 thread), then the kernels; the CSVs get the median over the rounds."""
    batch, hidden, gemm = {}, {}, {}
    sec = str(seconds)
    for r in range(rounds):
        print(f"round {r + 1} of {rounds}", file=sys.stderr, flush=True)
        j = run_json([BENCH, "--data", DATA, "--batch-sizes", ",".join(map(str, BATCH_SIZES)),
                      "--threads", "1,2", "--seconds", sec, "--json"])
        for run in j["training"]:
            key = (f"minigrad, {run['threads']} thread{'s' if run['threads'] > 1 else ''}",
                   run["batch_size"])
            batch.setdefault(key, []).append(run["samples_per_second"])
        j = run_json([sys.executable, PEER, "--data", PEER_DATA, "--threads", "1",
                      "--batch-sizes", ",".join(map(str, BATCH_SIZES)), "--seconds", sec,
                      "--json", "-"], env=peer_env())
        for run in j["results"]:
            batch.setdefault(("PyTorch 1.13, 1 thread", run["batch_size"]), []).append(
                run["train_samples_per_s"])
        if libtorch:
            for run in libtorch_runs(libtorch, sec, BATCH_SIZES):
                batch.setdefault(("libtorch 1.13, 1 thread", run["batch_size"]), []).append(
                    run["train_samples_per_s"])
        for w in WIDTHS:
            j = run_json([BENCH, "--data", DATA, "--batch-sizes", "128", "--threads", "1,2",
                          "--hidden", f"{w},{w}", "--seconds", sec, "--json"])
            for run in j["training"]:
                key = (f"minigrad, {run['threads']} thread{'s' if run['threads'] > 1 else ''}", w)
                hidden.setdefault(key, []).append(run["samples_per_second"])
            j = run_json([sys.executable, PEER, "--data", PEER_DATA, "--threads", "1",
                          "--batch-sizes", "128", "--hidden", f"{w},{w}", "--seconds", sec,
                          "--json", "-"], env=peer_env())
            for run in j["results"]:
                hidden.setdefault(("PyTorch 1.13, 1 thread", w), []).append(
                    run["train_samples_per_s"])
            if libtorch:
                for run in libtorch_runs(libtorch, sec, [128], f"{w},{w}"):
                    hidden.setdefault(("libtorch 1.13, 1 thread", w), []).append(
                        run["train_samples_per_s"])
        env = dict(os.environ, MINIGRAD_BLAS_CORE="best")
        j = run_json([BENCH, "--gemm", "--gemm-sizes", ",".join(map(str, GEMM_SIZES)),
                      "--threads", "1,2", "--rounds", "1", "--json"], env=env)
        for row in j["runs"]:
            t = row["threads"]
            cores = f"{t} thread{'s' if t > 1 else ''}"
            gemm.setdefault((f"minigrad {row['form']}, {cores}", row["m"]), []).append(
                row["minigrad"])
            if row["form"] == "A·B":
                gemm.setdefault((f"OpenBLAS A·B, {cores}", row["m"]), []).append(
                    row["openblas"])
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for name, table, x in (("batch", batch, "batch_size"), ("hidden", hidden, "width"),
                           ("gemm", gemm, "size")):
        with open(os.path.join(HERE, f"{name}.csv"), "w", newline="") as f:
            f.write(f"# measured {stamp}, {rounds} rounds, load average at the end {load}\n")
            w = csv.writer(f)
            w.writerow(["series", x, "median", "rounds"])
            for (series, xv), values in table.items():
                w.writerow([series, xv, f"{statistics.median(values):.1f}",
                            " ".join(f"{v:.1f}" for v in values)])


def read_csv(name):
    series = {}
    with open(os.path.join(HERE, f"{name}.csv")) as f:
        rows = csv.reader(line for line in f if not line.startswith("#"))
        next(rows)
        for s, x, median, _ in rows:
            series.setdefault(s, []).append((float(x), float(median)))
    return {s: sorted(points) for s, points in series.items()}


# ---- SVG ------------------------------------------------------------------------------------
W, H = 840, 470
LEFT, RIGHT, TOP, BOTTOM = 80, 290, 50, 60
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"]


def log_ticks(lo, hi):
    """1, 2 and 5 times powers of ten between lo and hi."""
    for steps in ((1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):  # the second when a range is narrow
        ticks = [m * 10 ** e for e in range(math.floor(math.log10(lo)) - 1,
                                            math.ceil(math.log10(hi)) + 1)
                 for m in steps if lo <= m * 10 ** e <= hi]
        if len(ticks) >= 4:
            break
    return ticks


def fmt_number(v):
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chart(path, title, xlabel, ylabel, series, xticks, note, hlines=()):
    """Log-log lines: series is {name: [(x, y)]}; hlines is [(label, y)] drawn dashed."""
    xs = [x for pts in series.values() for x, _ in pts]
    ys = [y for pts in series.values() for _, y in pts] + [y for _, y in hlines]
    xlo, xhi = min(xs), max(xs)
    ylo, yhi = min(ys) / 1.3, max(ys) * 1.3
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x):
        return LEFT + pw * (math.log(x) - math.log(xlo)) / (math.log(xhi) - math.log(xlo))

    def py(y):
        return TOP + ph * (1 - (math.log(y) - math.log(ylo)) / (math.log(yhi) - math.log(ylo)))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{LEFT + pw / 2}" y="24" text-anchor="middle" font-size="15" '
           f'font-weight="bold">{esc(title)}</text>']
    for v in log_ticks(ylo, yhi):
        y = py(v)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt_number(v)}</text>')
    for v in xticks:
        x = px(v)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + ph}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + ph + 18}" text-anchor="middle">{v}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" '
               'stroke="#333"/>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{H - 22}" text-anchor="middle">{esc(xlabel)}</text>')
    out.append(f'<text x="18" y="{TOP + ph / 2}" text-anchor="middle" '
               f'transform="rotate(-90 18 {TOP + ph / 2})">{esc(ylabel)}</text>')
    out.append(f'<text x="{LEFT}" y="{H - 5}" font-size="10" fill="#555">{esc(note)}</text>')
    legend_y = TOP + 8
    for i, (label, y) in enumerate(hlines):
        color = "#555"
        out.append(f'<line x1="{LEFT}" y1="{py(y):.1f}" x2="{LEFT + pw}" y2="{py(y):.1f}" '
                   f'stroke="{color}" stroke-dasharray="{"6,4" if i == 0 else "2,3"}"/>')
        out.append(f'<line x1="{LEFT + pw + 12}" y1="{legend_y}" x2="{LEFT + pw + 36}" '
                   f'y2="{legend_y}" stroke="{color}" '
                   f'stroke-dasharray="{"6,4" if i == 0 else "2,3"}"/>')
        out.append(f'<text x="{LEFT + pw + 42}" y="{legend_y + 4}">{esc(label)}</text>')
        legend_y += 18
    colors = {}  # one color per library or product form; two threads dashed
    for name, pts in series.items():
        color = colors.setdefault(name.split(", ")[0], COLORS[len(colors) % len(COLORS)])
        dash = ' stroke-dasharray="7,4"' if "2 threads" in name else ""
        path_d = " ".join(f"{'M' if k == 0 else 'L'}{px(x):.1f},{py(y):.1f}"
                          for k, (x, y) in enumerate(pts))
        out.append(f'<path d="{path_d}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for x, y in pts:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')
        out.append(f'<line x1="{LEFT + pw + 12}" y1="{legend_y}" x2="{LEFT + pw + 36}" '
                   f'y2="{legend_y}" stroke="{color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{LEFT + pw + 42}" y="{legend_y + 4}">{esc(name)}</text>')
        legend_y += 18
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {os.path.relpath(path, ROOT)}")


def note_of(name):
    with open(os.path.join(HERE, f"{name}.csv")) as f:
        return f.readline().lstrip("# ").strip()


def plot():
    img = os.path.join(ROOT, "docs", "img")
    chart(os.path.join(img, "scaling_batch.svg"),
          "Training throughput against batch size (784-128-64-10)", "batch size (log scale)",
          "training samples/s (log scale)", read_csv("batch"), BATCH_SIZES,
          note_of("batch"))
    chart(os.path.join(img, "scaling_hidden.svg"),
          "Training throughput against hidden width (784-W-W-10, batch 128)",
          "hidden width W (log scale)", "training samples/s (log scale)", read_csv("hidden"),
          WIDTHS, note_of("hidden"))
    gemm = read_csv("gemm")
    bounds = [(f"bound: OpenBLAS n=2048, {name.split(', ')[1]}", pts[-1][1])
              for name, pts in gemm.items() if name.startswith("OpenBLAS")]
    kernels = {name: pts for name, pts in gemm.items() if not name.startswith("OpenBLAS")}
    chart(os.path.join(img, "scaling_gemm.svg"),
          "minigrad's sgemm kernels against matrix size (n x n x n)",
          "n (log scale)", "GFLOP/s (log scale)", kernels, GEMM_SIZES, note_of("gemm"), bounds)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure", help="run the benchmarks and write the CSV files")
    m.add_argument("--rounds", type=int, default=3)
    m.add_argument("--seconds", type=float, default=1.5)
    m.add_argument("--libtorch", default=LIBTORCH,
                   help="the libtorch peer's binary (left out when it does not exist)")
    sub.add_parser("plot", help="draw the SVG charts from the CSV files")
    args = ap.parse_args()
    if args.command == "measure":
        libtorch = args.libtorch if os.path.exists(args.libtorch) else None
        if libtorch is None:
            print(f"no libtorch peer at {args.libtorch}: measuring without it", file=sys.stderr)
        measure(args.rounds, args.seconds, libtorch)
    else:
        plot()


if __name__ == "__main__":
    main()
