#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string_view>
#include <vector>

#include "lib/es/bulk_body.hpp"
#include "lib/es/bulk_response.hpp"
#include "lib/es/retry_policy.hpp"
#include "lib/es/transport.hpp"
#include "lib/retry/backoff.hpp"
#include "lib/retry/sleep.hpp"

namespace kt::es {

/// Settings of BulkClient.
struct BulkClientOptions {
    /// `max` is the largest number of actions per request (the index's batch size).
    AdaptiveBulkSizeOptions bulk_size;
    retry::BackoffOptions backoff;
    /// Ask Elasticsearch to return only the fields the client reads (`filter_path`).
    bool filter_response = true;
};

/// Answer to one bulk request.
struct BulkOutcome {
    int http_status = 0;            ///< 0 when no answer arrived
    std::vector<ItemResult> items;  ///< one per action, in action order
    bool throttled = false;         ///< Elasticsearch answered 429 to the request or an item
    bool failed = false;  ///< no usable answer: 5xx, connection error or an unreadable body
};

/// How the HTTP requests of one BulkClient::write went (for metrics).
struct RequestCounts {
    std::size_t ok = 0;         ///< 2xx, every item done or dead
    std::size_t partial = 0;    ///< 2xx, some items to retry (an item 429 or 5xx)
    std::size_t throttled = 0;  ///< the whole request answered 429
    std::size_t failed = 0;     ///< 5xx, timeout, connection error or unreadable answer
    std::size_t retries = 0;    ///< backoff waits before resending
};

/// Result of BulkClient::write.
struct WriteResult {
    /// One per action. kRetry only when `stopped`: that item is not known to be written.
    std::vector<ItemResult> items;
    bool stopped = false;  ///< the stop token fired before every item was done or dead
    RequestCounts requests;

    /// Index of the first item neither done nor dead (`items.size()` when none): the caller
    /// commits nothing at or past it.
    [[nodiscard]] std::size_t first_unwritten() const noexcept;
    /// How many items have `outcome`.
    [[nodiscard]] std::size_t count(Outcome outcome) const noexcept;
};

/// Waits `delay` unless `stop` fires first; returns false when stopped.
using Sleeper = retry::Sleeper;

/// The real Sleeper: retry::sleep_for, which wakes as soon as stop is requested.
[[nodiscard]] Sleeper interruptible_sleeper();

/// Writes documents with `_bulk`. Not thread-safe: one client per thread.
class BulkClient {
public:
    /// Takes ownership of `transport`; `sleeper` and `random` default to real ones.
    explicit BulkClient(std::unique_ptr<Transport> transport, BulkClientOptions options = {},
                        Sleeper sleeper = {}, retry::RandomSource random = {});

    /// One HTTP attempt. A whole-request 429, 5xx or connection error makes every item kRetry;
    /// an unreadable 2xx answer too. Throws kt::EsError for any other non-2xx answer.
    BulkOutcome send(std::string_view index, std::span<const BulkAction> actions);

    /// Sends `actions` in chunks of the adaptive bulk size and resends only retryable items,
    /// with backoff, until every item is done or dead or `stop` is requested. The backoff grows
    /// only over rounds that wrote nothing: a round that wrote or settled any item starts it
    /// again from the base, so a partial overload slows the writer through the bulk size, not
    /// through ever longer waits. Throws what
    /// send() throws for non-retryable request errors (auth, missing index …), and kt::EsError
    /// naming the fix when an item's error belongs to the index or the cluster (target_fault:
    /// no write index, a write block, a deleted index …): no item is dead for that.
    /// Retried items are resent before unsent ones, but two actions on the same id in one call
    /// are ordered across retries only by their `version` (external_gte); give each id once.
    WriteResult write(std::string_view index, std::span<const BulkAction> actions,
                      std::stop_token stop = {});

    /// Current adaptive bulk size (for metrics).
    [[nodiscard]] std::size_t bulk_size() const noexcept { return bulk_size_.size(); }
    /// The transport requests go through.
    [[nodiscard]] Transport& transport() noexcept { return *transport_; }

private:
    std::unique_ptr<Transport> transport_;
    BulkClientOptions options_;
    Sleeper sleeper_;
    retry::RandomSource random_;
    AdaptiveBulkSize bulk_size_;
};

}  // namespace kt::es
