// libFuzzer entry point (built with -DKT_FUZZ=ON and clang): the invariants of check_envelope.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (const auto broken = kt::fuzz::check_envelope(input)) {
        std::fprintf(stderr, "invariant broken: %s\n", broken->c_str());
        std::abort();
    }
    return 0;
}
