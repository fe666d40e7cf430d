// The `minigrad` command line: train, evaluate, predict and summary, each a function taking the
// subcommand's own argv (argv[0] is "minigrad train") and returning the exit code: 0 success,
// 2 bad flags or bad input, 1 anything unexpected, 128 + signal when interrupted (130, 143).
#pragma once

#include <cxxopts.hpp>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "minigrad/dist/process_group.hpp"
#include "minigrad/tabular/table.hpp"

namespace minigrad::tabular {

int train_command(int argc, char** argv);
/// train as rank group.rank() of a data-parallel job (docs/distributed.md): errors name the rank,
/// rank 0 alone prints and writes files.
int train_command(int argc, char** argv, const dist::ProcessGroup& group);
int evaluate_command(int argc, char** argv);
int predict_command(int argc, char** argv);
int summary_command(int argc, char** argv);

// ---- shared by the subcommands ----

/// Runs `body`, printing "<program>: error: <message>" for bad flags and bad input (exit 2) and
/// "<program>: internal error: ..." for anything else (exit 1); train::Interrupted exits 128 +
/// its signal, saying so unless `quiet_interrupt` (a rank of a job other than rank 0).
int run_command(const std::string& program, const std::function<int()>& body);
int run_command(const std::string& program, bool quiet_interrupt, const std::function<int()>& body);

/// One flag: its group in --help, name, help text and default value (nullptr: a switch). Every
/// value is read as text and converted by the command, so errors name the flag.
struct Flag {
  const char* group;
  const char* name;
  const char* help;
  const char* value;
};
/// Adds `flags` to `options`; add_help() adds -h/--help.
void add_flags(cxxopts::Options& options, std::span<const Flag> flags);
void add_help(cxxopts::Options& options);

/// The file-reading flags every subcommand has: --delimiter, --header, --skip-rows, --decimal.
extern const Flag kReadFlags[4];
/// Reads the kReadFlags values back.
ReadOptions read_flags(const cxxopts::ParseResult& r);

/// Comma-separated names: "a,b , c" -> {"a", "b", "c"}; empty text gives an empty list.
std::vector<std::string> split_list(const std::string& text);

}  // namespace minigrad::tabular
