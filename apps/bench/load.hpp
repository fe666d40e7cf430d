// bench --load N: the thread choice under competition. Starts N CPU-bound processes for the whole
// measurement and trains the documents' model on one thread, on two and with --threads auto (the
// apps' default), in interleaved rounds, so that the default can be compared with the better
// fixed count on a machine that is not the benchmark's alone.
#pragma once

#include <cstdint>
#include <vector>

#include "minigrad/data/dataset.hpp"

namespace minigrad::bench {

/// Runs `rounds` rounds; each times every batch size on 1 thread, 2 threads and auto for `seconds`
/// each, in an order that rotates from round to round, while `load` busy processes run (0: none).
/// Prints a table of the medians and auto / best, or JSON.
int run_load_benchmark(const data::Dataset& train, const std::vector<int64_t>& batch_sizes,
                       int load, int rounds, double seconds, bool json);

}  // namespace minigrad::bench
