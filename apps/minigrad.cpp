// minigrad: the tabular tool. Subcommands train, evaluate, predict and summary, each with its
// own --help:  minigrad train --data penguins.csv --label species --save penguins.safetensors
//              minigrad predict --model penguins.safetensors --data new.csv --proba
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "minigrad/backend/backend.hpp"
#include "minigrad/tabular/commands.hpp"
#include "minigrad/train/world.hpp"
#include "version_flag.hpp"

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: minigrad <command> [flags]\n\n"
               "commands:\n"
               "  train     train an MLP on a CSV table and save it with its preprocessing\n"
               "  evaluate  metrics of a saved model on a labelled table\n"
               "  predict   predictions (and class probabilities) for new rows, as CSV\n"
               "  summary   a saved model's layers, columns and encodings\n\n"
               "`minigrad <command> --help` lists a command's flags.\n"
               "`minigrad --version` prints the version.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (minigrad_app::print_version_if_asked(argc, argv, "minigrad")) return 0;
  try {
    minigrad::backend::name();  // an unknown MINIGRAD_BACKEND is a usage error, before anything
                                // runs
  } catch (const std::exception& e) {
    std::fprintf(stderr, "minigrad: error: %s\n", e.what());
    return 2;
  }
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    usage(stdout);
    return 0;
  }
  // The subcommand sees its own argv: argv[0] "minigrad <command>", then its flags.
  std::string program = "minigrad " + command;
  argv[1] = program.data();
  if (command == "train") {
    // Under mpirun, one rank of a data-parallel job (docs/distributed.md). Rank 0 alone prints;
    // a rank that fails ends the job (never a hang), one that was signalled stopped with all.
    std::unique_ptr<minigrad::dist::ProcessGroup> world;
    try {
      world = minigrad::train::join_world("minigrad train");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "minigrad train: error: %s\n", e.what());
      return 2;
    }
    if (world->rank() != 0 && !std::freopen("/dev/null", "w", stdout)) {
      std::fprintf(stderr, "minigrad train: error: cannot open /dev/null\n");
      world->abort(1);
      return 1;
    }
    const int code = minigrad::tabular::train_command(argc - 1, argv + 1, *world);
    if (code != 0 && code < 128) world->abort(code);
    return code;
  }
  if (command == "evaluate") return minigrad::tabular::evaluate_command(argc - 1, argv + 1);
  if (command == "predict") return minigrad::tabular::predict_command(argc - 1, argv + 1);
  if (command == "summary") return minigrad::tabular::summary_command(argc - 1, argv + 1);
  std::fprintf(stderr,
               "minigrad: error: unknown command '%s' (HINT: the commands are train, evaluate, "
               "predict and summary)\n",
               command.c_str());
  return 2;
}
