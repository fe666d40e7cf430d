// DataLoader: batch boundaries are fixed at construction (they depend only on N, batch_size and
// drop_last); each epoch only redraws the row order. The storage behind x and y is allocated
// once; every batch wraps it in fresh Tensor handles so no grad or graph leaks between steps.
#include "minigrad/data/dataloader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace minigrad::data {

DataLoader::DataLoader(const Dataset& dataset, DataLoaderOptions options, Generator gen)
    : dataset_(dataset), options_(options), gen_(gen) {
  const int64_t n = dataset.size();
  const int64_t bs = options.batch_size;
  if (bs <= 0) {
    throw std::invalid_argument(
        fmt::format("DataLoader: batch_size is {}, expected >= 1 (the documents use 32)", bs));
  }
  int64_t num_batches = options.drop_last ? n / bs : (n + bs - 1) / bs;
  // Single-row policy: a last batch of one row joins the previous batch (see the header).
  if (!options.drop_last && bs > 1 && num_batches >= 2 && n % bs == 1) --num_batches;
  for (int64_t b = 0; b < num_batches; ++b) batch_starts_.push_back(b * bs);

  order_.resize(static_cast<size_t>(n));
  std::iota(order_.begin(), order_.end(), int64_t{0});

  const int64_t f = dataset.num_features();
  if (num_batches > 0) {
    x_full_ = std::make_shared<Storage>(bs * f);
    y_full_ = std::make_shared<Storage>(bs);
    const int64_t last_rows = batch_rows(num_batches - 1);
    if (last_rows != bs) {
      x_last_ = std::make_shared<Storage>(last_rows * f);
      y_last_ = std::make_shared<Storage>(last_rows);
    }
    labels_buf_.resize(static_cast<size_t>(std::max(bs, last_rows)));
  }
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
  ++epoch_;
  if (!options_.shuffle) return;
  // A fresh permutation from the identity each epoch: the order depends on the generator only.
  std::iota(order_.begin(), order_.end(), int64_t{0});
  for (int64_t i = static_cast<int64_t>(order_.size()) - 1; i > 0; --i) {
    const auto k = static_cast<size_t>(gen_.randint(static_cast<uint64_t>(i + 1)));
    std::swap(order_[static_cast<size_t>(i)], order_[k]);
  }
}

const Batch& DataLoader::batch(int64_t b) {
  const int64_t rows = batch_rows(b);  // checks b
  const int64_t f = dataset_.num_features();
  const bool full = rows == options_.batch_size;
  const std::shared_ptr<Storage>& xs = full ? x_full_ : x_last_;
  const std::shared_ptr<Storage>& ys = full ? y_full_ : y_last_;
  const std::span<const int64_t> rows_idx(order_.data() + batch_starts_[static_cast<size_t>(b)],
                                          static_cast<size_t>(rows));
  const bool labelled = dataset_.has_labels();
  dataset_.gather(rows_idx, xs->data(), labelled ? ys->data() : nullptr,
                  labelled ? labels_buf_.data() : nullptr);
  if (b + 1 < size()) {  // the next batch's rows start loading while this one is used
    const int64_t next = batch_starts_[static_cast<size_t>(b + 1)];
    dataset_.prefetch(
        std::span<const int64_t>(order_.data() + next, static_cast<size_t>(batch_rows(b + 1))));
  }

  auto x = std::make_shared<TensorImpl>();
  x->storage = xs;
  x->shape = {rows, f};
  batch_.x = Tensor(std::move(x));
  if (labelled) {
    auto y = std::make_shared<TensorImpl>();
    y->storage = ys;
    y->shape = {rows};
    batch_.y = Tensor(std::move(y));
    batch_.labels = std::span<const int32_t>(labels_buf_.data(), static_cast<size_t>(rows));
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
