// The machine as --threads auto sees it on Linux: the steady clock, /proc/stat's idle time,
// /proc/loadavg's run queue, each thread's /proc/self/task/TID/schedstat, and the backend.
#include "minigrad/train/thread_probe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "minigrad/backend/backend.hpp"

namespace minigrad::train {

ThreadProbe backend_probe() {
  return {
      .now =
          [] {
            return std::chrono::duration<double>(
                       std::chrono::steady_clock::now().time_since_epoch())
                .count();
          },
      .set_num_threads = [](int n) { backend::set_num_threads(n); },
      .why_one_thread = backend::why_one_thread(),
      .idle_seconds =
          [] {
            // /proc/stat's first line: "cpu user nice system idle iowait ...", in clock ticks.
            std::ifstream in("/proc/stat");
            std::string cpu;
            double user, nice, system, idle, iowait;
            if (!(in >> cpu >> user >> nice >> system >> idle >> iowait) || cpu != "cpu")
              return -1.0;
            return (idle + iowait) / static_cast<double>(sysconf(_SC_CLK_TCK));
          },
      .wait_seconds =
          [] {
            // Each thread's /proc/self/task/TID/schedstat: "ns on a core, ns waiting for one,
            // slices". Threads that sleep (the worker between steps, OpenBLAS's pool) add
            // nothing; a thread that ended takes its figure with it, which only lowers a share.
            std::error_code ec;
            double ns = 0;
            for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
              std::ifstream in(task.path() / "schedstat");
              double on_core, waiting;
              if (!(in >> on_core >> waiting)) return -1.0;
              ns += waiting;
            }
            return ec ? -1.0 : ns * 1e-9;
          },
      .idle_cores_now =
          [] {
            // /proc/loadavg's fourth field, "running/total", counts the tasks that run or are
            // ready to run at this instant, this thread included. Read with one read(): it is
            // called every millisecond of the trial's first block.
            static const double cores = static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
            char text[128];
            const int fd = open("/proc/loadavg", O_RDONLY);
            if (fd < 0) return -1.0;
            const ssize_t n = read(fd, text, sizeof text - 1);
            close(fd);
            double one, five, fifteen;
            long running;
            if (n <= 0) return -1.0;
            text[n] = 0;
            if (std::sscanf(text, "%lf %lf %lf %ld/", &one, &five, &fifteen, &running) != 4)
              return -1.0;
            return std::max(0.0, cores - static_cast<double>(running));
          },
      .prepare_two = [] { backend::prepare_threads(); }};
}

}  // namespace minigrad::train
