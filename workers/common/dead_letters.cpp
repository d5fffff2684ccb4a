#include "workers/common/dead_letters.hpp"

#include <fmt/format.h>

#include "lib/error.hpp"
#include "lib/log/log.hpp"

namespace kt::workers {

DeadLetterWriter::DeadLetterWriter(const kafka::Options& options, std::string topic,
                                   std::string kind, std::string name)
    : topic_(std::move(topic)),
      kind_(std::move(kind)),
      name_(std::move(name)),
      owner_header_("kt." + kind_),
      producer_(std::make_unique<kafka::Producer>(options)) {}

void DeadLetterWriter::send(std::string_view value, std::optional<std::string_view> key,
                            const std::string& reason, std::string_view source_topic,
                            std::int32_t partition, std::int64_t offset) {
    const std::string partition_text = std::to_string(partition);
    const std::string offset_text = std::to_string(offset);
    const std::string size_text = std::to_string(value.size());
    const bool truncated = value.size() > kMaxDeadLetterBytes;
    const kafka::Header headers[] = {
        {"kt.error", reason},       {"kt.topic", source_topic}, {"kt.partition", partition_text},
        {"kt.offset", offset_text}, {owner_header_, name_},     {"kt.original_bytes", size_text},
    };
    producer_->produce(topic_, key, truncated ? value.substr(0, kMaxDeadLetterBytes) : value,
                       std::span(headers, truncated ? 6 : 5));
    log::warn("{} {}: dead letter {}:{}@{} to {}: {}", kind_, name_, source_topic, partition,
              offset, topic_, reason);
}

void DeadLetterWriter::flush(std::chrono::milliseconds timeout) {
    const kafka::FlushResult flushed = producer_->flush(timeout);
    if (!flushed.ok()) {
        throw Error(fmt::format("{} dead letter(s) to {} were not acknowledged: {}", flushed.failed,
                                topic_, kafka::error_description(flushed.first_error)),
                    true);
    }
}

std::size_t BatchDeadLetters::deliver(DeadLetterSink& writer, std::span<const InMessage> messages,
                                      std::string_view source_topic,
                                      std::chrono::milliseconds timeout) {
    std::size_t handed = 0;
    for (const auto& [i, reason] : reasons) {
        if (sent.count(i) != 0) continue;
        const auto& m = messages[i];
        writer.send(m.payload, m.key, reason, source_topic, m.partition, m.offset);
        sent.insert(i);  // only once the producer took it
        ++handed;
    }
    try {
        writer.flush(timeout);
    } catch (const Error&) {
        sent.clear();
        throw;
    }
    return handed;
}

}  // namespace kt::workers
