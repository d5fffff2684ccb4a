#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// The invariants each hostile-input target must keep, shared by the randomized GoogleTests and
// the libFuzzer entry points.
namespace kt::fuzz {

/// Checks one instant message against MessageParser's contract: never throws, accepts exactly
/// the messages a reference JSON reader says carry a usable id, with the same id, and that id
/// round-trips through the message kt produces for it. Returns what broke, or nullopt.
[[nodiscard]] std::optional<std::string> check_message(std::string_view input);

/// Checks one delay envelope: never throws; broken JSON is poison; an accepted envelope has a
/// payload slice inside the value that the indexer accepts with the same id, a valid topic
/// when one is set and a finite created_at. Returns what broke, or nullopt.
[[nodiscard]] std::optional<std::string> check_envelope(std::string_view input);

/// Checks one config file text: nothing but ConfigError is thrown; every problem has a
/// message and a line inside the file; no secret of the environment is printed; an accepted
/// config keeps the loader's promises (unique names, valid topics, known references, sizes in
/// range); loading twice gives the same answer. Returns what broke, or nullopt.
[[nodiscard]] std::optional<std::string> check_config(std::string_view input);

/// The body of a libFuzzer entry point: runs `check` on the input and aborts, printing what
/// broke, when an invariant does not hold (libFuzzer then keeps the input). Returns 0.
int fuzz_one(const std::uint8_t* data, std::size_t size,
             std::optional<std::string> (*check)(std::string_view));

/// The folder relative `mappings_file` paths of fuzzed configs resolve against.
void set_config_base_dir(std::string dir);

}  // namespace kt::fuzz
