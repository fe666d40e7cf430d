// error_of: the message of the exception a call throws, for tests that read what an error says
// (the file and line, the expected value, the HINT). A call that throws nothing fails the test.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <string>

namespace minigrad {

/// The what() of the `E` that f() throws; a failed check if f() returns normally. An exception
/// of another type escapes, and doctest reports it.
template <class E>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("expected an exception, but the call returned normally");
  return "";
}

}  // namespace minigrad
