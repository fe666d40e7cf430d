// Tests of io/atomic_file.hpp through save_safetensors: output paths checked before any work,
// a failed save leaves the old file intact and no temporary file behind, and temporary files
// of killed writers are removed at the next save.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <string>
#include <vector>

#include "minigrad/generator.hpp"
#include "minigrad/io/atomic_file.hpp"
#include "minigrad/io/safetensors.hpp"
#include "support/io_files.hpp"

using namespace minigrad;
using namespace iotest;

TEST_CASE("safetensors: a failed save leaves no file behind and the old file intact") {
  TempDir dir;
  const StateDict sd = small_state();

  SUBCASE("the directory does not exist") {
    const fs::path path = dir.path / "no_such_dir" / "m.safetensors";
    CHECK_THROWS_WITH_AS(io::save_safetensors(path.string(), sd),
                         doctest::Contains("does not exist"), std::runtime_error);
    CHECK_FALSE(fs::exists(path.parent_path()));
    CHECK(dir.listing().empty());
  }
  SUBCASE("the path is a directory") {
    fs::create_directory(dir.path / "model.safetensors");
    CHECK_THROWS_WITH_AS(io::save_safetensors((dir.path / "model.safetensors").string(), sd),
                         doctest::Contains("it is a directory"), std::runtime_error);
    CHECK(dir.listing() == std::vector<std::string>{"model.safetensors"});
    CHECK(fs::is_empty(dir.path / "model.safetensors"));
  }
  SUBCASE("an invalid tensor: the existing file is untouched") {
    const fs::path path = dir.path / "m.safetensors";
    io::save_safetensors(path.string(), sd);
    const Bytes before = read_file(path);
    CHECK_THROWS(io::save_safetensors(path.string(), {{"x", Tensor::from({0.5f}), DType::I64}}));
    CHECK(read_file(path) == before);
    CHECK(dir.listing() == std::vector<std::string>{"m.safetensors"});
  }
  SUBCASE("the write fails part way (file size limit): the temporary file is removed") {
    const fs::path path = dir.path / "m.safetensors";
    io::save_safetensors(path.string(), sd);
    const Bytes before = read_file(path);
    Generator gen(1);
    const StateDict big = {{"w", Tensor::randn({64, 64}, gen), DType::F32}};  // 16 KiB of data
    rlimit old{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);  // make write() fail with EFBIG instead
    rlimit small = old;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::string message;
    try {
      io::save_safetensors(path.string(), big);
    } catch (const std::runtime_error& e) {
      message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    CHECK(message.find("writing") != std::string::npos);
    CHECK(read_file(path) == before);
    CHECK(dir.listing() == std::vector<std::string>{"m.safetensors"});
  }
  SUBCASE("a successful save replaces the old file") {
    const fs::path path = dir.path / "m.safetensors";
    io::save_safetensors(path.string(), sd);
    io::save_safetensors(path.string(), {{"only", Tensor::from({1.0f})}});
    const StateDict back = io::load_safetensors(path.string());
    REQUIRE(back.size() == 1);
    CHECK(back[0].name == "only");
    CHECK(dir.listing() == std::vector<std::string>{"m.safetensors"});
  }
}

namespace {

// The message check_output_path throws for `path`, or "" if it accepts it.
std::string output_error(const std::string& path) {
  try {
    io::check_output_path(path, "--save");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("check_output_path: only a regular file or a new name in a writable directory") {
  TempDir dir;
  const std::string fresh = (dir.path / "m.safetensors").string();
  CHECK(output_error(fresh).empty());
  CHECK(dir.listing().empty());  // the probe file is gone again
  write_file(dir.path / "m.safetensors", {1, 2, 3});
  CHECK(output_error(fresh).empty());
  CHECK(read_file(dir.path / "m.safetensors") == Bytes{1, 2, 3});

  CHECK(output_error("/dev/null")
            .find("--save: cannot write '/dev/null': it is a character "
                  "device (HINT: ") == 0);
  CHECK(output_error("/dev/full").find("it is a character device") != std::string::npos);
  CHECK(output_error(dir.path.string()).find("it is a directory") != std::string::npos);
  CHECK(output_error((dir.path / "nope" / "m.safetensors").string())
            .find("does not exist (HINT: create it first: mkdir -p") != std::string::npos);
  CHECK(output_error((dir.path / "m.safetensors" / "x").string()).find("Not a directory") !=
        std::string::npos);
  CHECK(output_error("").find("empty path") != std::string::npos);

  fs::create_symlink("/dev/null", dir.path / "to_null");
  CHECK(
      output_error((dir.path / "to_null").string()).find("it is a symlink to a character device") !=
      std::string::npos);
  fs::create_symlink(dir.path / "missing", dir.path / "dangling");
  CHECK(output_error((dir.path / "dangling").string()).find("a symlink that leads nowhere") !=
        std::string::npos);
  fs::create_symlink(dir.path / "m.safetensors", dir.path / "to_file");
  CHECK(output_error((dir.path / "to_file").string()).empty());
}

TEST_CASE("check_output_path: a directory that takes no new files is refused") {
  // Permission bits do not stop root, so root tries /sys, which refuses new files to everyone.
  TempDir dir;
  fs::path read_only = dir.path / "ro";
  if (::geteuid() == 0) {
    read_only = "/sys";
  } else {
    fs::create_directory(read_only);
    fs::permissions(read_only, fs::perms::owner_read | fs::perms::owner_exec);
  }
  const std::string msg = output_error((read_only / "m.safetensors").string());
  INFO("message: ", msg);
  CHECK(msg.find("does not accept new files") != std::string::npos);
  CHECK(msg.find("HINT: choose a writable directory") != std::string::npos);
  if (::geteuid() != 0) fs::permissions(read_only, fs::perms::owner_all);
}

TEST_CASE("save_safetensors: device nodes are never replaced; a symlink's file is") {
  TempDir dir;
  CHECK_THROWS_WITH_AS(io::save_safetensors("/dev/null", small_state()),
                       doctest::Contains("it is a character device"), std::runtime_error);
  CHECK(fs::is_character_file("/dev/null"));
  CHECK_THROWS_WITH_AS(io::save_safetensors("/dev/full", small_state()),
                       doctest::Contains("it is a character device"), std::runtime_error);
  CHECK(fs::is_character_file("/dev/full"));

  // Through a symlink the file it points to is replaced, and the link stays a link.
  write_file(dir.path / "real.safetensors", {0});
  fs::create_symlink(dir.path / "real.safetensors", dir.path / "link.safetensors");
  io::save_safetensors((dir.path / "link.safetensors").string(), small_state());
  CHECK(fs::is_symlink(dir.path / "link.safetensors"));
  CHECK(io::load_safetensors((dir.path / "real.safetensors").string()).size() == 2);
  CHECK(dir.listing() == std::vector<std::string>{"link.safetensors", "real.safetensors"});
}

TEST_CASE("save_safetensors: temporary files of killed writers are removed, others kept") {
  TempDir dir;
  const fs::path path = dir.path / "m.safetensors";
  CHECK(io::temporary_path(path.string(), 42, 7) ==
        (dir.path / ".m.safetensors.tmp.42.7").string());
  CHECK(io::temporary_path("m.safetensors", 42, 7) == ".m.safetensors.tmp.42.7");

  // A process that has exited: its pid names no process (until reused, which takes a while).
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);

  const std::string dead = fs::path(io::temporary_path(path.string(), child, 0)).filename();
  const std::string dead_dir = fs::path(io::temporary_path(path.string(), child, 1)).filename();
  const std::string alive = fs::path(io::temporary_path(path.string(), 1, 3)).filename();
  const std::string mine = fs::path(io::temporary_path(path.string(), ::getpid(), 9)).filename();
  const std::string other = fs::path(io::temporary_path("other.safetensors", child, 0)).filename();
  const std::vector<std::string> kept_names = {
      fmt::format(".m.safetensors.tmp.{}.0.bak", child),  // not exactly the pattern
      fmt::format("m.safetensors.tmp.{}.0", child),       // not hidden: not ours
      ".m.safetensors.tmp.x.0"};
  for (const std::string& name : {dead, alive, mine, other}) write_file(dir.path / name, {1});
  for (const std::string& name : kept_names) write_file(dir.path / name, {1});
  fs::create_directory(dir.path / dead_dir);  // only regular files are removed

  io::save_safetensors(path.string(), small_state());
  std::vector<std::string> expected = {alive, mine, other, dead_dir, "m.safetensors"};
  expected.insert(expected.end(), kept_names.begin(), kept_names.end());
  std::sort(expected.begin(), expected.end());
  CHECK(dir.listing() == expected);
  CHECK_FALSE(fs::exists(dir.path / dead));
  CHECK(io::remove_stale_temporaries(path.string()) == 0);
}
