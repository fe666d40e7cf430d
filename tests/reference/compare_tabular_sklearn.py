"""minigrad train against scikit-learn's impute + scale + one-hot + MLP pipeline on real tables.

Usage (system interpreter, from the repository root, after building):
    /usr/bin/python3 tests/reference/compare_tabular_sklearn.py [build/bin/minigrad]
Writes each table's train/test files under /tmp/minigrad_tabular_compare/, runs `minigrad train
--train ... --test ...` on them, fits the scikit-learn pipeline on the very same files, and prints
a Markdown table (the one in docs/tabular.md). Not run by CI.

Each table is split three times (seeds 0, 1, 2) and the table shows the mean over the three
test parts. The scikit-learn pipeline mirrors what minigrad does: numeric columns get the training median
with a missing-value indicator, then StandardScaler; text columns get a "missing" category and a
one-hot encoding that ignores unseen categories; a regression target is standardised
(TransformedTargetRegressor). Rows without a label are dropped from both parts.
"""
import csv
import os
import re
import subprocess
import sys

import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

# The same early stopping minigrad gets: 15% of the training rows held out, patience 20.
STOP = dict(early_stopping=True, validation_fraction=0.15, n_iter_no_change=20)
NA = {"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A", "?"}
OUT = "/tmp/minigrad_tabular_compare"
PENGUINS = "/usr/lib/R/site-library/palmerpenguins/extdata/penguins.csv"


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [[c.strip() for c in r] for r in rows[1:] if r]


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def split(name, header, rows, seed=0, test=0.2):
    """Writes <name>_train.csv and <name>_test.csv: a seeded 80/20 split of the rows."""
    order = np.random.default_rng(seed).permutation(len(rows))
    n_test = int(round(test * len(rows)))
    paths = (f"{OUT}/{name}_train.csv", f"{OUT}/{name}_test.csv")
    write(paths[0], header, [rows[i] for i in order[n_test:]])
    write(paths[1], header, [rows[i] for i in order[:n_test]])
    return paths


def is_number(s):
    try:
        return np.isfinite(float(s))
    except ValueError:
        return False


def sklearn_run(train, test, label, ignore, task, hidden, seed):
    header, tr = read(train)
    _, te = read(test)
    y_col = header.index(label)
    feats = [i for i, h in enumerate(header) if i != y_col and h not in ignore]
    tr = [r for r in tr if r[y_col] not in NA]
    te = [r for r in te if r[y_col] not in NA]
    numeric = [i for i in feats if all(is_number(r[i]) for r in tr if r[i] not in NA)]
    categorical = [i for i in feats if i not in numeric]

    def matrix(rows):
        x = np.empty((len(rows), len(feats)), dtype=object)
        for j, i in enumerate(feats):
            for k, r in enumerate(rows):
                v = r[i]
                if i in numeric:
                    x[k, j] = np.nan if v in NA else float(v)
                else:
                    x[k, j] = "missing" if v in NA else v
        return x

    num_idx = [feats.index(i) for i in numeric]
    cat_idx = [feats.index(i) for i in categorical]
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                              StandardScaler()), num_idx),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cat_idx),
    ])
    xtr, xte = matrix(tr), matrix(te)
    if task == "classification":
        model = Pipeline([("pre", pre), ("mlp", MLPClassifier(hidden_layer_sizes=hidden, max_iter=2000,
                                                               random_state=seed, **STOP))])
        ytr, yte = [r[y_col] for r in tr], [r[y_col] for r in te]
        model.fit(xtr, ytr)
        return {"accuracy": accuracy_score(yte, model.predict(xte))}
    ytr = np.array([float(r[y_col]) for r in tr])
    yte = np.array([float(r[y_col]) for r in te])
    model = Pipeline([("pre", pre), ("mlp", TransformedTargetRegressor(
        regressor=MLPRegressor(hidden_layer_sizes=hidden, max_iter=2000, random_state=seed, **STOP),
        transformer=StandardScaler()))])
    model.fit(xtr, ytr)
    p = model.predict(xte)
    return {"rmse": float(np.sqrt(mean_squared_error(yte, p))), "mae": mean_absolute_error(yte, p),
            "r2": r2_score(yte, p)}


def minigrad_run(binary, train, test, label, ignore, flags):
    cmd = [binary, "train", "--train", train, "--test", test, "--label", label, *flags]
    if ignore:
        cmd += ["--ignore", ",".join(ignore)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"test accuracy: ([0-9.]+)", out)
    if m:
        return {"accuracy": float(m.group(1))}, cmd
    m = re.search(r"test RMSE: ([0-9.]+), MAE: ([0-9.]+), R²: (-?[0-9.]+)", out)
    return {"rmse": float(m.group(1)), "mae": float(m.group(2)), "r2": float(m.group(3))}, cmd


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bin/minigrad"
    os.makedirs(OUT, exist_ok=True)
    flags = ["--hidden", "64,32", "--epochs", "200", "--optimizer", "adam", "--lr", "0.001",
             "--dropout", "0.1", "--val-split", "0.15", "--patience", "20"]
    subprocess.run(["Rscript", "-e", f'write.csv(airquality, "{OUT}/airquality.csv", row.names=FALSE)'],
                   check=True, capture_output=True)
    from sklearn.datasets import load_diabetes
    d = load_diabetes(scaled=False)
    diabetes = (list(d.feature_names) + ["progression"],
                [[f"{v:g}" for v in x] + [f"{y:g}"] for x, y in zip(d.data, d.target)])
    sources = [("penguins (species)", "penguins", read(PENGUINS), "species", "classification"),
               ("airquality (Ozone)", "airquality", read(f"{OUT}/airquality.csv"), "Ozone",
                "regression"),
               ("diabetes (progression)", "diabetes", diabetes, "progression", "regression")]
    print("| table | rows (train/test) | metric | minigrad | scikit-learn |")
    print("|---|---|---|---|---|")
    for name, stem, (header, rows), label, task in sources:
        mine, ref = {}, {}
        for seed in (0, 1, 2):
            train, test = split(f"{stem}{seed}", header, rows, seed)
            m, _ = minigrad_run(binary, train, test, label, [], flags)
            r = sklearn_run(train, test, label, [], task, (64, 32), 0)
            for k in m:
                mine.setdefault(k, []).append(m[k])
                ref.setdefault(k, []).append(r[k])
        n_train, n_test = len(read(train)[1]), len(read(test)[1])
        for k in mine:
            print(f"| {name} | {n_train}/{n_test} | {k} | {np.mean(mine[k]):.4f} | "
                  f"{np.mean(ref[k]):.4f} |")
    print()
    print("minigrad flags:", " ".join(flags))


if __name__ == "__main__":
    main()
