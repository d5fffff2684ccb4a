// libFuzzer entry point (built with -DKT_FUZZ=ON and clang): the invariants of check_config.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return kt::fuzz::fuzz_one(data, size, kt::fuzz::check_config);
}
