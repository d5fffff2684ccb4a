#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>

namespace kt::kafka::detail {

/// Destroys an rd_kafka_t (producer, consumer or admin handle); for a consumer, close it first.
struct HandleDeleter {
    void operator()(rd_kafka_t* p) const noexcept { rd_kafka_destroy(p); }
};
/// Destroys an rd_kafka_conf_t that was not handed to rd_kafka_new.
struct ConfDeleter {
    void operator()(rd_kafka_conf_t* p) const noexcept { rd_kafka_conf_destroy(p); }
};
/// Destroys an rd_kafka_topic_partition_list_t.
struct PartitionListDeleter {
    void operator()(rd_kafka_topic_partition_list_t* p) const noexcept {
        rd_kafka_topic_partition_list_destroy(p);
    }
};
/// Returns an rd_kafka_message_t (and the buffer it points into) to librdkafka.
struct MessageDeleter {
    void operator()(rd_kafka_message_t* p) const noexcept { rd_kafka_message_destroy(p); }
};
/// Destroys an rd_kafka_headers_t not handed to rd_kafka_producev.
struct HeadersDeleter {
    void operator()(rd_kafka_headers_t* p) const noexcept { rd_kafka_headers_destroy(p); }
};
/// Destroys an rd_kafka_queue_t reference.
struct QueueDeleter {
    void operator()(rd_kafka_queue_t* p) const noexcept { rd_kafka_queue_destroy(p); }
};
/// Destroys an rd_kafka_error_t.
struct ErrorDeleter {
    void operator()(rd_kafka_error_t* p) const noexcept { rd_kafka_error_destroy(p); }
};
/// Frees metadata returned by rd_kafka_metadata.
struct MetadataDeleter {
    void operator()(const rd_kafka_metadata_t* p) const noexcept { rd_kafka_metadata_destroy(p); }
};
/// Destroys an rd_kafka_topic_t.
struct TopicDeleter {
    void operator()(rd_kafka_topic_t* p) const noexcept { rd_kafka_topic_destroy(p); }
};
/// Destroys an rd_kafka_NewTopic_t (a CreateTopics request entry).
struct NewTopicDeleter {
    void operator()(rd_kafka_NewTopic_t* p) const noexcept { rd_kafka_NewTopic_destroy(p); }
};
/// Destroys an rd_kafka_AdminOptions_t.
struct AdminOptionsDeleter {
    void operator()(rd_kafka_AdminOptions_t* p) const noexcept { rd_kafka_AdminOptions_destroy(p); }
};
/// Destroys an rd_kafka_event_t.
struct EventDeleter {
    void operator()(rd_kafka_event_t* p) const noexcept { rd_kafka_event_destroy(p); }
};
/// Frees a string librdkafka allocated for the caller (e.g. rd_kafka_clusterid's answer).
struct StringDeleter {
    rd_kafka_t* handle = nullptr;  ///< the handle that allocated it
    void operator()(char* p) const noexcept { rd_kafka_mem_free(handle, p); }
};

/// Owning rd_kafka_t.
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
/// Owning rd_kafka_conf_t.
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
/// Owning rd_kafka_topic_partition_list_t.
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
/// Owning rd_kafka_message_t.
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
/// Owning rd_kafka_headers_t.
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, HeadersDeleter>;
/// Owning rd_kafka_queue_t.
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
/// Owning rd_kafka_error_t.
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
/// Owning rd_kafka_metadata_t.
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;
/// Owning rd_kafka_topic_t.
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;
/// Owning string from librdkafka.
using StringPtr = std::unique_ptr<char, StringDeleter>;

}  // namespace kt::kafka::detail
