// libFuzzer harness for the safetensors reader and a save/reload round trip of what it reads;
// see safetensors_target.hpp. Built by `make fuzz` with clang, -fsanitize=fuzzer,address,undefined.
#include <cstddef>
#include <cstdint>

#include "safetensors_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::safetensors_input({data, size});
  return 0;
}
