// The machine and process facts of machine.hpp, read from ATen, OpenBLAS (looked up at run time),
// the dynamic loader, /proc and getrusage.
#include "machine.hpp"

#include <ATen/Parallel.h>
#include <ATen/Version.h>

#include <link.h>
#include <sys/resource.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace peer {

void set_threads(int n, int blas_n) {
    at::set_num_threads(n);
    if (auto f = blas_symbol<void (*)(int)>("openblas_set_num_threads")) f(blas_n > 0 ? blas_n : n);
}

std::vector<std::string> mapped_math_libraries() {
    std::vector<std::string> libs;
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* out) {
            std::string path = info->dlpi_name ? info->dlpi_name : "";
            if (char* real = realpath(path.c_str(), nullptr)) {
                path = real;
                std::free(real);
            }
            auto base = path.substr(path.find_last_of('/') + 1);
            for (const char* key : {"blas", "lapack", "mkl", "dnnl", "gomp", "blis"})
                if (base.find(key) != std::string::npos) {
                    static_cast<std::vector<std::string>*>(out)->push_back(path);
                    break;
                }
            return 0;
        },
        &libs);
    return libs;
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') { out += '\\'; out += c; }
        else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else out += c;
    }
    return out + "\"";
}

std::string env_json(const char* name) {
    const char* v = std::getenv(name);
    return v ? json_string(v) : "null";
}

std::string blas_json(int indent) {
    std::string pad(static_cast<size_t>(indent), ' ');
    std::ostringstream j;
    j << "{\n";
    std::string config = at::show_config();
    for (const char* key : {"BLAS_INFO", "LAPACK_INFO"}) {
        auto pos = config.find(std::string(key) + "=");
        if (pos != std::string::npos) {
            pos += std::strlen(key) + 1;
            auto stop = config.find_first_of(", \n", pos);
            std::string lower = key;
            for (auto& c : lower) c = static_cast<char>(std::tolower(c));
            j << pad << "  " << json_string(lower) << ": " << json_string(config.substr(pos, stop - pos)) << ",\n";
        }
    }
    auto cap = config.find("CPU capability usage: ");
    if (cap != std::string::npos) {
        cap += std::strlen("CPU capability usage: ");
        j << pad << "  \"torch_cpu_capability\": " << json_string(config.substr(cap, config.find('\n', cap) - cap))
          << ",\n";
    }
    if (auto corename = blas_symbol<char* (*)()>("openblas_get_corename")) {
        j << pad << "  \"openblas_corename\": " << json_string(corename()) << ",\n";
        if (auto cfg = blas_symbol<char* (*)()>("openblas_get_config"))
            j << pad << "  \"openblas_config\": " << json_string(cfg()) << ",\n";
        if (auto nt = blas_symbol<int (*)()>("openblas_get_num_threads"))
            j << pad << "  \"openblas_threads\": " << nt() << ",\n";
    }
    j << pad << "  \"libraries\": [";
    auto libs = mapped_math_libraries();
    for (size_t i = 0; i < libs.size(); ++i) j << (i ? ", " : "") << json_string(libs[i]);
    j << "]\n" << pad << "}";
    return j.str();
}

std::string openblas_corename() {
    auto corename = blas_symbol<char* (*)()>("openblas_get_corename");
    return corename ? corename() : "?";
}

long peak_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;  // KiB on Linux
}

long current_rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double load_average() {
    double l[1] = {0};
    return getloadavg(l, 1) == 1 ? l[0] : -1.0;
}

}  // namespace peer
