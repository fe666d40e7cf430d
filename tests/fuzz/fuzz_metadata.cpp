// libFuzzer harness for the tabular tool's preprocessing metadata (the JSON in a model file's
// "__metadata__"); see metadata_target.hpp. Built by `make fuzz` with clang,
// -fsanitize=fuzzer,address,undefined.
#include <cstddef>
#include <cstdint>

#include "metadata_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::metadata_input({data, size});
  return 0;
}
