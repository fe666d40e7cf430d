// train_csv: train and evaluate an MLP classifier on any numeric CSV table.
//   build/bin/train_csv --data table.csv --label last --hidden 64,32 --epochs 20
// Features are standardised with training-set statistics unless --scale K is given.
#include "minigrad/train/cli.hpp"
#include "version_flag.hpp"

int main(int argc, char** argv) {
  if (minigrad_app::print_version_if_asked(argc, argv, "train_csv")) return 0;
  minigrad::train::AppPreset preset;
  preset.program = "train_csv";
  preset.description = "Train an MLP classifier on a numeric CSV table (label column + features)";
  preset.defaults.scaling = minigrad::train::Scaling::Standardize;
  return minigrad::train::run_app(argc, argv, preset);
}
