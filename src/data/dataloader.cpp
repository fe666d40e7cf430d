// DataLoader: batch boundaries are fixed at construction (they depend only on N, batch_size and
// drop_last); each epoch only redraws the row order. The storage behind x and y is reused from
// batch to batch; every batch wraps it in fresh Tensor handles so no grad or graph leaks between
// steps.
// A buffer still shared with a tensor from an earlier batch (a graph that saved it, because the
// losses of several batches are summed before one backward) is replaced by a new one instead of
// being overwritten, so gradients always see the values they were computed from.
//
// Gathering ahead: batch(b) posts the gather of batch b + 1 as the worker's background task
// (backend/backend.hpp), into the slot not in use, and batch(b + 1) only finishes it. At batch
// 256 the gather is a tenth of a step, and the worker is idle for more than that while the
// calling thread runs the step's serial parts (BatchNorm, the small layers, the loss). Each row is
// converted the same way whoever does it, so batches are bit-identical to gathering on demand.
// "The documents": README.md#the-documents.
#include "minigrad/data/dataloader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "minigrad/backend/backend.hpp"

namespace minigrad::data {

struct DataLoader::Pending {
  const Dataset* dataset = nullptr;
  std::span<const int64_t> rows;
  float* x = nullptr;
  float* y = nullptr;
  int32_t* labels = nullptr;
  int64_t epoch = 0, batch = -1;  // batch -1: nothing posted
  backend::BackgroundTicket ticket;
};

std::vector<int64_t> batch_starts_of(int64_t n, const DataLoaderOptions& options) {
  const int64_t bs = options.batch_size;
  int64_t num_batches = options.drop_last ? n / bs : (n + bs - 1) / bs;
  // Single-row policy: a last batch of one row joins the previous batch (see the header).
  if (!options.drop_last && bs > 1 && num_batches >= 2 && n % bs == 1) --num_batches;
  std::vector<int64_t> starts;
  for (int64_t b = 0; b < num_batches; ++b) starts.push_back(b * bs);
  return starts;
}

DataLoader::DataLoader(const Dataset& dataset, DataLoaderOptions options, Generator gen)
    : dataset_(dataset), options_(options), gen_(gen) {
  const int64_t n = dataset.size();
  const int64_t bs = options.batch_size;
  if (bs <= 0) {
    throw std::invalid_argument(
        fmt::format("DataLoader: batch_size is {}, expected >= 1 (the documents use 32)", bs));
  }
  batch_starts_ = batch_starts_of(n, options);
  const auto num_batches = static_cast<int64_t>(batch_starts_.size());

  order_.resize(static_cast<size_t>(n));
  std::iota(order_.begin(), order_.end(), int64_t{0});

  const int64_t f = dataset.num_features();
  if (num_batches > 0) {
    // A second full slot only when there are two full batches to alternate between; then, if
    // the backend hands given-back memory out again, the last batch's slot is made when it
    // comes, from the idle full slot's memory (slot_for).
    const int64_t last_rows = batch_rows(num_batches - 1);
    const int64_t full_batches = last_rows == bs ? num_batches : num_batches - 1;
    two_full_ = full_batches >= 2;
    lend_last_ = two_full_ && backend::reuses(static_cast<size_t>(bs * f) * sizeof(float));
    if (full_batches >= 1) make_slot(full_[0], bs);
    if (two_full_) make_slot(full_[1], bs);
    if (last_rows != bs && !lend_last_) make_slot(last_, last_rows);
  }
  pending_ = std::make_unique<Pending>();
}

void DataLoader::make_slot(Slot& s, int64_t rows) const {
  s.x = std::make_shared<Storage>(rows * dataset_.num_features());
  s.y = std::make_shared<Storage>(rows);
  s.labels.resize(static_cast<size_t>(rows));
}

DataLoader::DataLoader(DataLoader&& other) noexcept
    : dataset_(other.dataset_),
      options_(other.options_),
      gen_(other.gen_),
      order_(std::move(other.order_)),
      batch_starts_(std::move(other.batch_starts_)),
      epoch_(other.epoch_),
      full_{std::move(other.full_[0]), std::move(other.full_[1])},
      last_(std::move(other.last_)),
      two_full_(other.two_full_),
      lend_last_(other.lend_last_),
      current_full_(other.current_full_),
      pending_(std::move(other.pending_)),  // a gather in flight keeps writing to the same buffers
      batch_(std::move(other.batch_)) {}

DataLoader::~DataLoader() {
  if (pending_) finish_pending();
}

void DataLoader::finish_pending() {
  if (pending_->batch < 0) return;
  backend::finish_background(pending_->ticket);
  pending_->batch = -1;
}

// The slot for batch b: for a full batch, not the slot of the batch handed out last (it may
// still be in use), unless there is only one. With two full slots (and lend_last_: a backend
// that hands given-back memory out again), the smaller last batch's slot is made from the memory
// of the full slot that is idle during it, given back just before: memory already touched, where
// a slot of its own would be fresh pages, faulted in during the epoch's last steps (by the
// worker, if it gathers, while the step waits for it). The full slot is made again, from the last
// batch's memory, when the next epoch needs it. A buffer still held outside the loader stays
// with its holders.
DataLoader::Slot& DataLoader::slot_for(int64_t b) {
  const int64_t rows = batch_rows(b);
  if (rows != options_.batch_size) {
    if (lend_last_ && !last_.x) {
      full_[1 - current_full_] = Slot{};
      make_slot(last_, rows);
    }
    return last_;
  }
  if (!two_full_) return full_[0];
  Slot& s = full_[1 - current_full_];
  if (!s.x) {
    last_ = Slot{};
    make_slot(s, rows);
  }
  return s;
}

// The slot's buffers, made safe to overwrite: one still held outside the loader is left to its
// holders and replaced. In a plain training loop nothing holds the last batch but the loader, so
// this costs a use_count per batch; every write still bumps the version, as a second guard.
DataLoader::Slot& DataLoader::writable(Slot& s) {
  if (s.x && s.x.use_count() > 1) s.x = std::make_shared<Storage>(s.x->size());
  if (s.y && s.y.use_count() > 1) s.y = std::make_shared<Storage>(s.y->size());
  if (s.x) s.x->bump_version();
  if (s.y) s.y->bump_version();
  return s;
}

int64_t DataLoader::batch_rows(int64_t b) const {
  const int64_t nb = size();
  if (b < 0 || b >= nb) {
    throw std::out_of_range(fmt::format("DataLoader: batch {} is outside 0..{}", b, nb - 1));
  }
  if (b + 1 < nb) return options_.batch_size;
  // The last batch: whatever remains, except that drop_last stops at a whole batch.
  return options_.drop_last ? options_.batch_size : dataset_.size() - batch_starts_.back();
}

void DataLoader::new_epoch() {
  finish_pending();  // its rows come from order_, about to be redrawn
  ++epoch_;
  if (!options_.shuffle) return;
  shuffle_order(order_, gen_);
}

const Batch& DataLoader::batch(int64_t b) {
  const int64_t rows = batch_rows(b);  // checks b
  const int64_t f = dataset_.num_features();
  auto rows_of = [this](int64_t batch) {
    return std::span<const int64_t>(order_.data() + batch_starts_[static_cast<size_t>(batch)],
                                    static_cast<size_t>(batch_rows(batch)));
  };
  const bool labelled = dataset_.has_labels();
  const bool ready = pending_->batch == b && pending_->epoch == epoch_;
  finish_pending();
  batch_ = Batch{};  // the loader's own handles on the last batch: not a reason to keep it
  Slot& slot = ready ? slot_for(b) : writable(slot_for(b));
  if (!ready)
    dataset_.gather(rows_of(b), slot.x->data(), labelled ? slot.y->data() : nullptr,
                    labelled ? slot.labels.data() : nullptr);
  if (&slot != &last_) current_full_ = &slot == &full_[0] ? 0 : 1;

  if (b + 1 < size()) {  // the next batch: gathered by the worker, or its rows prefetched
    const std::span<const int64_t> next_rows = rows_of(b + 1);
    if (backend::num_threads() > 1) {
      dataset_.check_indices(next_rows);
      Slot& next = writable(slot_for(b + 1));
      Pending& p = *pending_;
      p = Pending{&dataset_,
                  next_rows,
                  next.x->data(),
                  labelled ? next.y->data() : nullptr,
                  labelled ? next.labels.data() : nullptr,
                  epoch_,
                  b + 1,
                  {}};
      // Chunks of about 8,000 values (10 rows of Fashion-MNIST, a few µs): the worker checks for
      // a product to split between chunks, so a chunk is the longest it can keep one waiting.
      const int64_t chunk = std::max<int64_t>(1, 8192 / std::max<int64_t>(f, 1));
      p.ticket =
          backend::post_background({[](const void* c, int64_t i0, int64_t i1) {
                                      const auto& q = *static_cast<const Pending*>(c);
                                      q.dataset->gather_range(q.rows, i0, i1, q.x, q.y, q.labels);
                                    },
                                    &p, static_cast<int64_t>(next_rows.size()), chunk});
    } else {
      dataset_.prefetch(next_rows);
    }
  }

  batch_.x = Tensor::from_storage(slot.x, {rows, f});
  if (labelled) {
    batch_.y = Tensor::from_storage(slot.y, {rows});
    batch_.labels = std::span<const int32_t>(slot.labels.data(), static_cast<size_t>(rows));
  } else {
    batch_.y = Tensor();
    batch_.labels = {};
  }
  return batch_;
}

DataLoader::Iterator::Iterator(DataLoader* loader, int64_t b) : loader_(loader), b_(b) {
  if (b_ < loader_->size()) current_ = &loader_->batch(b_);
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++b_;
  if (b_ < loader_->size()) current_ = &loader_->batch(b_);
  return *this;
}

DataLoader::Iterator DataLoader::begin() {
  new_epoch();
  return Iterator(this, 0);
}

}  // namespace minigrad::data
