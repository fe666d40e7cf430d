"""Reference values for tests/test_tabular_metrics.cpp, computed by scikit-learn.

Run with the system interpreter (/usr/bin/python3 tests/reference/tabular_metrics.py); the
printed numbers are frozen into the test. Not run by CI.
"""
import numpy as np
from sklearn.metrics import (mean_absolute_error, mean_squared_error, precision_recall_fscore_support,
                             r2_score)

y_true = np.array([3.0, -0.5, 2.0, 7.0, 4.25, 10.0, -3.0, 0.125])
y_pred = np.array([2.5, 0.0, 2.0, 8.0, 3.0, 11.5, -2.0, 1.0])
print(f"rmse {np.sqrt(mean_squared_error(y_true, y_pred)):.17g}")
print(f"mae {mean_absolute_error(y_true, y_pred):.17g}")
print(f"r2 {r2_score(y_true, y_pred):.17g}")

# Three classes; class 2 is never predicted (precision 0/0 -> 0, as zero_division=0).
truth = [0, 0, 0, 1, 1, 2, 2, 1, 0, 2]
pred = [0, 1, 0, 1, 1, 0, 1, 1, 0, 1]
p, r, f, s = precision_recall_fscore_support(truth, pred, labels=[0, 1, 2], zero_division=0)
for c in range(3):
    print(f"class {c}: precision {p[c]:.17g} recall {r[c]:.17g} f1 {f[c]:.17g} support {s[c]}")
