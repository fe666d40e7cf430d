// A resume checkpoint of `minigrad train`: the model file (weights, preprocessing, model shape)
// plus the optimizer's state, fit()'s FitState (position, generators, curves, early stopping's
// best weights) and the flags that shape the run, so that an interrupted run continues exactly.
// Built on train/resume_state.hpp, which train_csv's checkpoints share. Layout:
// docs/reliability.md.
#pragma once

#include <cstdint>
#include <string>

#include "minigrad/dist/process_group.hpp"
#include "minigrad/optim/optimizer.hpp"
#include "minigrad/state_dict.hpp"
#include "minigrad/tabular/fit.hpp"
#include "minigrad/tabular/model_file.hpp"
#include "minigrad/train/resume_state.hpp"

namespace minigrad::tabular {

/// What load_resume() brings back.
struct TabularResume {
  TabularModel model;
  StateDict optimizer;  // for Optimizer::load_state_dict
  FitState state;
};

/// A fingerprint of the rows a run trains and validates on, and of their preprocessing: a resume
/// on other data is refused even when it has as many rows. Across the processes of `group`, `train`
/// and `val` are this rank's rows, and the fingerprint (the same on every rank) covers every
/// rank's, in rank order (one collective).
uint64_t data_fingerprint(const Preprocessing& prep, const EncodedRows& train,
                          const EncodedRows& val,
                          const dist::ProcessGroup& group = dist::SingleProcess());

/// Writes the resume checkpoint to `path` atomically (a file whole or absent).
void save_resume(const std::string& path, const TabularModel& m, const optim::Optimizer& optimizer,
                 const FitState& state, const train::RunFlags& flags, uint64_t fingerprint);

/// Reads the resume checkpoint at `path` and checks it against this run: a model file, another
/// flag value, another number of `processes`, fewer `epochs` than already done, or other data
/// (`data_flag` names the flag that gave it, e.g. "--data t.csv") is a std::invalid_argument
/// naming the file and the flag, with a HINT.
TabularResume load_resume(const std::string& path, const train::RunFlags& flags, int epochs,
                          uint64_t fingerprint, const std::string& data_flag,
                          const dist::ProcessGroup& group = dist::SingleProcess());

}  // namespace minigrad::tabular
