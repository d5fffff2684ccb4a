#pragma once

#include <string>
#include <string_view>

// librdkafka's log lines, as its log callback hands them over. No librdkafka type is needed.
namespace kt::kafka::detail {

/// `message` without librdkafka's thread prefix (`[thrd:HOST:PORT/bootstrap]: `), unchanged
/// when it has none.
[[nodiscard]] std::string_view without_thread_prefix(std::string_view message) noexcept;

/// The part of a librdkafka log line that repeats: without the thread prefix and without
/// parenthesised counters such as `(after 0ms in state CONNECT, 3 identical error(s)
/// suppressed)`, so that the same failure over and over has one key.
[[nodiscard]] std::string repeat_key(std::string_view message);

}  // namespace kt::kafka::detail
