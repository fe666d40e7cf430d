// The second thread: minigrad's kernels (the tiled sgemm, the optimizer's update, the batch
// gather) can hand part of their range to one worker thread and do the rest on the calling
// thread. Each element is computed by exactly one of the two, the same way as on one thread, so
// results are bit-identical whatever the thread count.
//
// The worker spins for a short while after each piece of work (a training step posts several
// within microseconds of each other, and waking a sleeping thread costs more than a small product)
// and then sleeps in a futex wait, so an idle worker costs nothing. A worker that finds itself on
// the caller's CPU moves to another, so that two threads do use two cores.
#pragma once

#include <cstdint>

#include "minigrad/backend/backend.hpp"  // RangeFn, BackgroundFn, BackgroundTicket

namespace minigrad::kernels {

/// 1 (the default) or 2 threads for the kernels; any n >= 2 means 2.
void set_num_threads(int n);
int num_threads();

/// Where two threads split a dimension of n (rows of a weight, columns of an output): about half,
/// a multiple of 8. Every kernel that touches a weight's rows splits them at this same point (the
/// forward product, the weight's gradient, the optimizer's update), so each thread keeps working
/// on the half of the weight that is already in its own core's cache.
inline int64_t split_point(int64_t n) { return (n / 2 + 7) / 8 * 8; }

using backend::RangeFn;

/// Runs fn(context, 0, split) on the calling thread and fn(context, split, n) on the worker, and
/// returns when both are done. With one thread, or while another caller has the worker, it runs
/// fn(context, 0, n) on the calling thread instead. 0 <= split <= n.
void run_split(RangeFn fn, const void* context, int64_t split, int64_t n);

/// Starts fn(context, 0, 0) on the worker and returns without waiting (the next run_split waits
/// for it first). Nothing happens while another caller has the worker.
void run_on_worker(RangeFn fn, const void* context);

using backend::BackgroundFn;
using backend::BackgroundTicket;
/// Hands `task` to the worker, which runs its chunks in the time between the parts run_split gives
/// it (so work for the next step, such as gathering the next batch, overlaps this step's serial
/// parts). With one thread nothing runs until finish_background. One background task at a time:
/// the previous one is finished first. `task.context` must stay valid until it is finished.
BackgroundTicket post_background(const BackgroundFn& task);
/// Returns once the task is complete: runs the chunks nobody has started on the calling thread and
/// waits for any the worker is running. Nothing to do if a newer task already finished it.
void finish_background(BackgroundTicket ticket);

/// run_split for a callable f(begin, end).
template <class F>
void run_split(const F& f, int64_t split, int64_t n) {
  run_split([](const void* c, int64_t b, int64_t e) { (*static_cast<const F*>(c))(b, e); }, &f,
            split, n);
}

}  // namespace minigrad::kernels
