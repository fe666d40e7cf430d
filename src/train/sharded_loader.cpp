// ShardedLoader: what each rank sends each rank follows from the epoch's order, the share rule and
// the owners, which every rank knows, so the exchange needs no request: rank p sends rank q the
// rows p holds of q's share, in the share's order, as [k rows of F features][k labels].
#include "minigrad/train/sharded_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace minigrad::train {

RowRange share_of(int64_t n, int rank, int ranks) {
  const int64_t base = n / ranks, extra = n % ranks;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

ShardedLoader::ShardedLoader(const ShardedRows& rows, int64_t batch_size, Generator gen,
                             const dist::ProcessGroup& group, bool drop_single_row)
    : rows_(rows), group_(group), batch_size_(batch_size), gen_(gen) {
  order_.resize(static_cast<size_t>(rows.size()));
  const int64_t n = rows.size();
  // A last batch of one row joins the one before (DataLoader's rule), or is left out.
  const bool drop = drop_single_row && batch_size > 1 && n > batch_size && n % batch_size == 1;
  starts_ =
      data::batch_starts_of(n, {.batch_size = batch_size, .shuffle = true, .drop_last = drop});
  last_rows_ = starts_.empty() ? 0 : drop ? batch_size : n - starts_.back();
}

int64_t ShardedLoader::batch_rows(int64_t b) const {
  if (b < 0 || b >= size())
    throw std::out_of_range(fmt::format("ShardedLoader: batch {} is outside 0..{}", b, size() - 1));
  return b + 1 < size() ? batch_size_ : last_rows_;
}

const data::Batch& ShardedLoader::batch(int64_t b) {
  const int64_t rows = batch_rows(b), start = starts_[static_cast<size_t>(b)];
  const int ranks = group_.size(), me = group_.rank();
  const int64_t f = rows_.held.num_features(), width = f + 1;
  const auto owner = [this](int64_t pos) {
    return rows_.owner[static_cast<size_t>(order_[static_cast<size_t>(pos)])];
  };

  // ---- send: the rows this rank holds of each rank's share, gathered (and scaled) ----
  std::vector<int64_t> send_counts(static_cast<size_t>(ranks)), recv_counts(send_counts);
  std::vector<int64_t> mine_for;  // local rows for one destination
  send_.clear();
  for (int q = 0; q < ranks; ++q) {
    const RowRange share = share_of(rows, q, ranks);
    mine_for.clear();
    for (int64_t pos = start + share.begin; pos < start + share.end; ++pos) {
      const int p = owner(pos);
      if (p == me)
        mine_for.push_back(rows_.local[static_cast<size_t>(order_[static_cast<size_t>(pos)])]);
      if (q == me) recv_counts[static_cast<size_t>(p)] += width;
    }
    const auto k = static_cast<int64_t>(mine_for.size());
    const size_t at = send_.size();
    send_.resize(at + static_cast<size_t>(k * width));
    rows_.held.gather(mine_for, send_.data() + at, send_.data() + at + k * f, nullptr);
    send_counts[static_cast<size_t>(q)] = k * width;
  }
  int64_t received = 0;
  std::vector<int64_t> segment(static_cast<size_t>(ranks)), taken(segment);
  for (int p = 0; p < ranks; ++p) {
    segment[static_cast<size_t>(p)] = received;
    received += recv_counts[static_cast<size_t>(p)];
  }
  recv_.resize(static_cast<size_t>(received));
  group_.all_to_all(send_, send_counts, recv_, recv_counts);

  // ---- receive: each row of this rank's share from its owner's segment, in the share's order
  const RowRange share = share_of(rows, me, ranks);
  batch_.x = Tensor::empty({share.size(), f});  // (b_r, F)
  batch_.y = Tensor::empty({share.size()});     // (b_r)
  labels_.resize(static_cast<size_t>(share.size()));
  float* x = batch_.x.data();
  float* y = batch_.y.data();
  for (int64_t i = 0; i < share.size(); ++i) {
    const auto p = static_cast<size_t>(owner(start + share.begin + i));
    const float* from = recv_.data() + segment[p];
    const int64_t k = recv_counts[p] / width, j = taken[p]++;
    std::copy_n(from + j * f, f, x + i * f);
    y[i] = from[k * f + j];
    labels_[static_cast<size_t>(i)] = static_cast<int32_t>(y[i]);
  }
  batch_.labels = labels_;
  return batch_;
}

}  // namespace minigrad::train
