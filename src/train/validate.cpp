// TrainConfig's checks, in the order a user meets the flags: data, model, training, output.
#include "minigrad/train/validate.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

#include "minigrad/io/atomic_file.hpp"
#include "minigrad/train/resume.hpp"

namespace minigrad::train {

void validate(const TrainConfig& c) {
  auto fail = [](const std::string& msg) { throw std::invalid_argument(msg); };
  const bool split_mode = !c.data_path.empty();
  if (split_mode && (!c.train_path.empty() || !c.test_path.empty()))
    fail("give either --data (one file, split) or --train/--test (two files), not both");
  if (!split_mode && c.test_path.empty())
    fail("no data: give --data FILE (split into train/test) or --train FILE --test FILE");
  if (!split_mode && !c.eval_only && c.train_path.empty())
    fail("--test needs --train (or --eval-only with --load to evaluate a saved model)");
  if (c.eval_only && c.load_path.empty())
    fail("--eval-only needs --load FILE: a model to evaluate");
  if (split_mode && !(c.test_fraction > 0.0 && c.test_fraction < 1.0))
    fail(fmt::format("--split: expected a fraction between 0 and 1 (exclusive), got {}",
                     c.test_fraction));
  if (!c.eval_only && c.epochs < 1)
    fail(fmt::format("--epochs: expected at least 1, got {}", c.epochs));
  if (c.batch_size < 1)
    fail(fmt::format("--batch-size: expected at least 1, got {}", c.batch_size));
  if (c.batchnorm && c.batch_size < 2 && !c.eval_only)
    fail(
        "--batch-size 1 cannot train BatchNorm1d (one row has no variance) (HINT: use a batch size "
        "of 2 or more, or --no-batchnorm)");
  if (!(c.lr > 0.0)) fail(fmt::format("--lr: expected a positive learning rate, got {}", c.lr));
  if (!(c.dropout >= 0.0f && c.dropout < 1.0f))
    fail(fmt::format("--dropout: expected a probability in [0, 1), got {}", c.dropout));
  for (int64_t h : c.hidden)
    if (h < 1) fail(fmt::format("--hidden: layer sizes must be positive, got {}", h));
  if (c.scaling == Scaling::Divide && !(c.scale > 0.0f))
    fail(fmt::format("--scale: expected a positive divisor, got {}", c.scale));
  if (c.threads < 0 || c.threads > 2)
    fail(
        fmt::format("--threads: expected auto (0), 1 or 2 (minigrad's kernels use at most two "
                    "threads), got {}",
                    c.threads));
  // Output paths are checked before training, not after: a typo, a device or a read-only
  // directory must not cost a whole run.
  if (!c.save_path.empty()) io::check_output_path(c.save_path, "--save");
  if (!c.report_path.empty()) io::check_output_path(c.report_path, "--report");
  if (!c.resume_path.empty() && !c.load_path.empty())
    fail(
        "--resume and --load exclude each other: a resume checkpoint holds the model (HINT: drop "
        "--load)");
  if (!c.resume_path.empty() && c.eval_only)
    fail("--resume continues training; to evaluate, use --load with --eval-only");
  if (c.checkpoint_every < 0)
    fail(fmt::format("--checkpoint-every: expected a whole number of epochs >= 0, got {}",
                     c.checkpoint_every));
  if (c.checkpoint_every > 0 && resume_checkpoint_path(c).empty())
    fail("--checkpoint-every needs somewhere to write: give --save FILE or --checkpoint-dir DIR");
  if (!c.checkpoint_dir.empty() && !std::filesystem::is_directory(c.checkpoint_dir))
    fail(fmt::format("--checkpoint-dir {}: not a directory (HINT: create it first)",
                     c.checkpoint_dir));
  if (!c.eval_only && !resume_checkpoint_path(c).empty())
    io::check_output_path(resume_checkpoint_path(c), "the resume checkpoint");
  if (c.optimizer != "sgd" && c.optimizer != "adam" && c.optimizer != "adamw")
    fail(fmt::format("--optimizer: expected sgd, adam or adamw, got '{}'", c.optimizer));
}

}  // namespace minigrad::train
