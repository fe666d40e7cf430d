// What the libtorch peer benchmark reports about the machine and the process it runs in: the BLAS
// and math libraries torch loaded, thread settings, memory and CPU time, and the JSON strings that
// carry them. Part of the peer benchmark (bench.cpp), built only with it.
#pragma once

#include <dlfcn.h>

#include <string>
#include <vector>

namespace peer {

// A function of the loaded BLAS (OpenBLAS's openblas_* extensions), or null when it lacks one.
template <typename F>
F blas_symbol(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

// ATen's intra-op threads, and OpenBLAS's (blas_n, or n when blas_n is 0).
void set_threads(int n, int blas_n);
// Paths of the loaded shared libraries that do the math (BLAS, LAPACK, MKL, oneDNN, OpenMP).
std::vector<std::string> mapped_math_libraries();
// s as a quoted JSON string.
std::string json_string(const std::string& s);
// The environment variable as a JSON string, or null when unset.
std::string env_json(const char* name);
// The BLAS torch was built with and the one it runs on, as a JSON object indented by `indent`.
std::string blas_json(int indent);
std::string openblas_corename();
long peak_rss_kib();
long current_rss_kib();
double cpu_seconds();
double load_average();

}  // namespace peer
