// libFuzzer harness for the CSV reader (parse_csv); see csv_target.hpp for what one input does.
// Built by `make fuzz` with clang and -fsanitize=fuzzer,address,undefined.
#include <cstddef>
#include <cstdint>

#include "csv_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::csv_input({data, size});
  return 0;
}
