#pragma once

#include <cstdint>
#include <string_view>

namespace kt::kafka::detail {

/// Where a newly assigned partition starts reading: its committed offset when it has one (>= 0),
/// else the logical offset `auto_offset_reset` names (earliest, smallest, beginning: the
/// beginning; latest, largest, end: the end). RD_KAFKA_OFFSET_INVALID for `error` or an unknown
/// value, which leaves the choice to librdkafka.
[[nodiscard]] std::int64_t start_offset(std::int64_t committed,
                                        std::string_view auto_offset_reset) noexcept;

}  // namespace kt::kafka::detail
