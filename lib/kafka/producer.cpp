#include "lib/kafka/producer.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "lib/kafka/detail/conf.hpp"
#include "lib/kafka/detail/error_code.hpp"
#include "lib/kafka/detail/metadata.hpp"
#include "lib/log/log.hpp"

namespace kt::kafka {

namespace {

int ms(std::chrono::milliseconds timeout) {
    return static_cast<int>(timeout.count());
}

void* as_ptr(std::string_view bytes) {
    return const_cast<char*>(bytes.data());
}

}  // namespace

Producer::Producer(const Options& options, DeliveryCallback on_delivery)
    : on_delivery_(std::move(on_delivery)), queue_full_timeout_(options.queue_full_timeout) {
    auto conf = detail::make_conf(
        options,
        {{"client.id", "kt"}, {"enable.idempotence", "true"}, {"partitioner", "murmur2_random"}});
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &Producer::delivery_trampoline);
    handle_ = detail::make_handle(RD_KAFKA_PRODUCER, conf);
}

Producer::~Producer() {
    if (handle_ && unreported_ > 0) {
        log::warn("kafka producer destroyed with {} messages not acknowledged", unreported_);
    }
}

rd_kafka_topic_t* Producer::topic_handle(std::string_view topic) {
    if (auto it = topics_.find(topic); it != topics_.end()) return it->second.get();
    std::string name(topic);
    detail::TopicPtr handle(rd_kafka_topic_new(handle_.get(), name.c_str(), nullptr));
    if (!handle)
        throw detail::error_of(fmt::format("cannot use topic '{}'", name), rd_kafka_last_error());
    return topics_.emplace(std::move(name), std::move(handle)).first->second.get();
}

void Producer::produce(std::string_view topic, std::optional<std::string_view> key,
                       std::string_view value, std::span<const Header> headers) {
    produce(Record{topic, key, value, headers});
}

void Producer::produce(const Record& record) {
    (void)produce(record, std::stop_token{});
}

bool Producer::produce(const Record& record, const std::stop_token& stop) {
    return enqueue(record, stop, std::nullopt);
}

void Producer::produce(const Record& record, std::chrono::milliseconds timestamp) {
    (void)enqueue(record, {}, timestamp);
}

bool Producer::enqueue(const Record& record, const std::stop_token& stop,
                       std::optional<std::chrono::milliseconds> timestamp) {
    rd_kafka_topic_t* rkt = topic_handle(record.topic);
    std::optional<std::chrono::steady_clock::time_point> deadline;  // from the first full queue
    while (true) {
        detail::HeadersPtr headers;
        if (!record.headers.empty()) {
            headers.reset(rd_kafka_headers_new(record.headers.size()));
            for (const auto& h : record.headers) {
                rd_kafka_header_add(headers.get(), h.name.data(),
                                    static_cast<ssize_t>(h.name.size()),
                                    h.value ? h.value->data() : nullptr,
                                    h.value ? static_cast<ssize_t>(h.value->size()) : 0);
            }
        }
        std::array<rd_kafka_vu_t, 8> vus{};
        std::size_t n = 0;
        vus[n].vtype = RD_KAFKA_VTYPE_RKT;
        vus[n++].u.rkt = rkt;
        vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
        vus[n++].u.i32 = record.partition;
        vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
        vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
        vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
        vus[n].u.mem.ptr = as_ptr(record.value);
        vus[n++].u.mem.size = record.value.size();
        if (record.key) {
            vus[n].vtype = RD_KAFKA_VTYPE_KEY;
            vus[n].u.mem.ptr = as_ptr(*record.key);
            vus[n++].u.mem.size = record.key->size();
        }
        if (timestamp) {
            vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
            vus[n++].u.i64 = timestamp->count();
        }
        vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
        vus[n++].u.ptr = reinterpret_cast<void*>(static_cast<std::uintptr_t>(record.tag));
        if (headers) {
            vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
            vus[n++].u.headers = headers.get();
        }
        const detail::ErrorPtr error(rd_kafka_produceva(handle_.get(), vus.data(), n));
        if (!error) {
            (void)headers.release();  // owned by the message now
            ++unreported_;
            return true;
        }
        if (rd_kafka_error_code(error.get()) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            const auto now = std::chrono::steady_clock::now();
            if (!deadline) deadline = now + queue_full_timeout_;
            if (now < *deadline) {
                if (stop.stop_requested()) return false;
                rd_kafka_poll(handle_.get(), 100);
                rethrow_callback_error();
                continue;
            }
        }
        throw detail::error_of(fmt::format("cannot produce to {}", record.topic), error.get());
    }
}

int Producer::poll(std::chrono::milliseconds timeout) {
    const int served = rd_kafka_poll(handle_.get(), ms(timeout));
    rethrow_callback_error();
    return served;
}

FlushResult Producer::flush(std::chrono::milliseconds timeout) {
    const auto err = rd_kafka_flush(handle_.get(), ms(timeout));
    rethrow_callback_error();
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw detail::error_of(
            fmt::format("{} messages not acknowledged within {} ms", in_flight(), timeout.count()),
            err);
    }
    return std::exchange(since_flush_, FlushResult{});
}

void Producer::purge() {
    (void)rd_kafka_purge(handle_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    (void)rd_kafka_poll(handle_.get(), 0);  // serve the purged messages' reports
}

std::size_t Producer::in_flight() const noexcept {
    return unreported_;
}

std::vector<TopicMetadata> Producer::list_topics(std::chrono::milliseconds timeout) {
    return detail::list_topics(handle_.get(), timeout);
}

void Producer::delivery_trampoline(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message,
                                   void* opaque) {
    static_cast<Producer*>(opaque)->on_delivery(message);
}

void Producer::on_delivery(const rd_kafka_message_t* message) noexcept {
    if (unreported_ > 0) --unreported_;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++since_flush_.delivered;
    } else {
        ++since_flush_.failed;
        if (since_flush_.first_error == ErrorCode::kNoError) {
            since_flush_.first_error = detail::code_of(message->err);
        }
    }
    if (!on_delivery_) return;
    try {
        const DeliveryReport report{
            message->rkt != nullptr ? rd_kafka_topic_name(message->rkt) : "",
            message->partition,
            message->offset,
            detail::code_of(message->err),
            static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(message->_private)),
            message->key != nullptr ? std::optional<std::string_view>(std::string_view(
                                          static_cast<const char*>(message->key), message->key_len))
                                    : std::nullopt};
        on_delivery_(report);
    } catch (...) {
        if (!callback_error_) callback_error_ = std::current_exception();
    }
}

void Producer::rethrow_callback_error() {
    if (callback_error_) std::rethrow_exception(std::exchange(callback_error_, nullptr));
}

}  // namespace kt::kafka
