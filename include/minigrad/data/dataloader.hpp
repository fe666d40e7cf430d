// DataLoader: cuts a Dataset into batches x (B, F), y (B), reshuffled every epoch by its own
// seeded Generator. Batches are gathered into two sets of buffers allocated once and used in turn
// (bytes become floats and are scaled during that copy); a buffer still referenced by a tensor
// (a graph over an earlier batch) is replaced rather than overwritten. With two
// threads (backend::set_num_threads) the worker gathers batch b + 1 in its idle time while batch
// b is used; with one, the next batch's rows are prefetched into the cache.
// Single-row policy: a last batch of ONE row would break BatchNorm1d in training (one value per
// channel has no variance), so it is merged into the previous batch (B + 1 rows) when
// batch_size > 1; drop_last drops any short batch instead. Leaves out: workers, samplers, pinning.
#pragma once

#include <cstdint>
#include <iterator>
#include <memory>
#include <span>
#include <vector>

#include "minigrad/data/dataset.hpp"
#include "minigrad/generator.hpp"
#include "minigrad/tensor.hpp"

namespace minigrad::data {

/// DataLoader(dataset, {.batch_size = 32, .shuffle = true}, Generator(seed)).
struct DataLoaderOptions {
  int64_t batch_size = 32;
  bool shuffle = false;    // new order each epoch, drawn from the loader's generator
  bool drop_last = false;  // drop a final batch shorter than batch_size
};

/// One batch. x and y are fresh handles on the loader's storage, which is reused only once no
/// tensor outside the loader refers to it: keeping x, y or a graph over them is safe. `labels`
/// points into a reused buffer: copy it to keep it past the next batch.
struct Batch {
  Tensor x;                         // (B, F) features after the dataset's transform
  Tensor y;                         // (B) class ids as floats (CrossEntropyLoss targets)
  std::span<const int32_t> labels;  // (B) the same class ids as ints, for accuracy
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
};

/// The first position of each batch of n rows (batch_size, drop_last and the single-row
/// policy): DataLoader's batches, for a loader whose rows live elsewhere.
std::vector<int64_t> batch_starts_of(int64_t n, const DataLoaderOptions& options);

class DataLoader {
 public:
  /// `dataset` must outlive the loader (it is not copied). Shuffling draws from `gen`.
  DataLoader(const Dataset& dataset, DataLoaderOptions options, Generator gen = Generator(0));
  DataLoader(Dataset&&, DataLoaderOptions, Generator = Generator(0)) = delete;  // would dangle
  ~DataLoader();
  DataLoader(DataLoader&&) noexcept;
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;
  DataLoader& operator=(DataLoader&&) = delete;

  /// Batches per epoch (len(loader)), after drop_last and the single-row merge.
  int64_t size() const { return static_cast<int64_t>(batch_starts_.size()); }
  /// Rows in batch b (batch_size, or the shorter/merged last batch).
  int64_t batch_rows(int64_t b) const;
  const DataLoaderOptions& options() const { return options_; }
  const Dataset& dataset() const { return dataset_; }

  /// Starts an epoch: reshuffles the row order when shuffle is set. begin() calls it.
  void new_epoch();
  /// Batch b (0 <= b < size()) of the current epoch in the reused buffers: gathered now, or
  /// already by the worker when b follows the batch asked for last.
  const Batch& batch(int64_t b);
  /// Row order of the current epoch (identity when not shuffling).
  const std::vector<int64_t>& order() const { return order_; }
  /// Epochs started so far.
  int64_t epoch() const { return epoch_; }
  /// The shuffling generator: its state before new_epoch() fixes that epoch's order.
  Generator& generator() { return gen_; }

  /// Range-for support: `for (const Batch& b : loader)`; each begin() starts a new epoch.
  class Iterator {
   public:
    using difference_type = std::ptrdiff_t;
    using value_type = Batch;
    Iterator() = default;
    const Batch& operator*() const { return *current_; }
    const Batch* operator->() const { return current_; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const {
      return loader_ == nullptr || b_ >= loader_->size();
    }

   private:
    friend class DataLoader;
    Iterator(DataLoader* loader, int64_t b);
    DataLoader* loader_ = nullptr;
    int64_t b_ = 0;
    const Batch* current_ = nullptr;
  };
  Iterator begin();
  std::default_sentinel_t end() const { return {}; }

 private:
  const Dataset& dataset_;
  DataLoaderOptions options_;
  Generator gen_;
  std::vector<int64_t> order_;
  std::vector<int64_t> batch_starts_;  // first position in order_ of each batch
  int64_t epoch_ = 0;
  // Reused buffers: two sets for full batches (used in turn, so the worker can fill one while the
  // other is in use) and one for a differently sized last batch, which with two full sets takes
  // the memory of the one idle during it (slot_for).
  struct Slot {
    std::shared_ptr<Storage> x, y;
    std::vector<int32_t> labels;
  };
  Slot full_[2], last_;
  bool two_full_ = false;   // two full batches or more: full_[1] is used too
  bool lend_last_ = false;  // the last batch's slot is made from the idle full slot's memory
  int current_full_ = 1;    // full_[current_full_] holds the batch handed out last
  void make_slot(Slot& s, int64_t rows) const;
  Slot& slot_for(int64_t b);
  Slot& writable(Slot& s);
  // A batch the worker is gathering (see batch()); on the heap so its address survives a move.
  struct Pending;
  std::unique_ptr<Pending> pending_;
  void finish_pending();
  Batch batch_;
};

}  // namespace minigrad::data
