// libFuzzer harness for the tabular tool's reading, preprocessing and encoding of a CSV file;
// see table_target.hpp. Built by `make fuzz` with clang, -fsanitize=fuzzer,address,undefined.
#include <cstddef>
#include <cstdint>

#include "table_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::table_input({data, size});
  return 0;
}
