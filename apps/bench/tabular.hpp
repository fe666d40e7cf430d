// bench --tabular: what `minigrad train` does before training on a mixed table, timed: read the
// CSV, fit the preprocessing, encode the rows, on a generated 100,000-row table.
#pragma once

namespace minigrad::bench {

/// Prints the median of 5 rounds of read, fit and encode (wall and CPU seconds), or JSON.
int bench_tabular(bool json);

}  // namespace minigrad::bench
