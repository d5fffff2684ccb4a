#include "lib/kafka/detail/start_offset.hpp"

#include <librdkafka/rdkafka.h>

namespace kt::kafka::detail {

std::int64_t start_offset(std::int64_t committed, std::string_view auto_offset_reset) noexcept {
    if (committed >= 0) return committed;
    const std::string_view r = auto_offset_reset;
    if (r == "earliest" || r == "smallest" || r == "beginning") return RD_KAFKA_OFFSET_BEGINNING;
    if (r == "latest" || r == "largest" || r == "end") return RD_KAFKA_OFFSET_END;
    return RD_KAFKA_OFFSET_INVALID;
}

}  // namespace kt::kafka::detail
