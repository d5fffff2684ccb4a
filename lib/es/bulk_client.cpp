#include "lib/es/bulk_client.hpp"

#include <algorithm>
#include <mutex>
#include <numeric>
#include <utility>

#include <fmt/format.h>

#include "lib/error.hpp"
#include "lib/es/response_error.hpp"
#include "lib/log/log.hpp"

namespace kt::es {

namespace {

constexpr std::string_view kFilterPath =
    "?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason";

BulkOutcome all_retry(std::size_t n, int status, std::string type, std::string reason) {
    BulkOutcome outcome;
    outcome.http_status = status;
    outcome.throttled = status == 429;
    outcome.failed = status != 429;
    outcome.items.assign(n,
                         ItemResult{Outcome::kRetry, status, std::move(type), std::move(reason)});
    return outcome;
}

/// Counts one request of a write by how it went.
void count_request(const BulkOutcome& outcome, std::size_t retried, RequestCounts& counts) {
    if (outcome.http_status == 429) {
        ++counts.throttled;
    } else if (outcome.failed) {
        ++counts.failed;
    } else if (retried > 0) {
        ++counts.partial;
    } else {
        ++counts.ok;
    }
}

}  // namespace

std::size_t WriteResult::first_unwritten() const noexcept {
    const auto it = std::find_if(items.begin(), items.end(),
                                 [](const ItemResult& r) { return r.outcome == Outcome::kRetry; });
    return static_cast<std::size_t>(it - items.begin());
}

std::size_t WriteResult::count(Outcome outcome) const noexcept {
    return static_cast<std::size_t>(
        std::count_if(items.begin(), items.end(),
                      [outcome](const ItemResult& r) { return r.outcome == outcome; }));
}

Sleeper interruptible_sleeper() {
    return retry::sleep_for;
}

BulkClient::BulkClient(std::unique_ptr<Transport> transport, BulkClientOptions options,
                       Sleeper sleeper, retry::RandomSource random)
    : transport_(std::move(transport)),
      options_(options),
      sleeper_(sleeper ? std::move(sleeper) : interruptible_sleeper()),
      random_(random ? std::move(random) : retry::default_random_source()),
      bulk_size_(options.bulk_size) {
    if (!transport_) throw Error("BulkClient needs a transport");
}

BulkOutcome BulkClient::send(std::string_view index, std::span<const BulkAction> actions) {
    if (actions.empty()) return BulkOutcome{200, {}, false, false};
    Request request;
    request.method = Method::kPost;
    request.target = "/" + encode_path_segment(index) + "/_bulk";
    if (options_.filter_response) request.target += kFilterPath;
    request.body = build_bulk_body(actions);
    request.content_type = "application/x-ndjson";

    Response response;
    try {
        response = transport_->perform(request);
    } catch (const TransientError& e) {
        return all_retry(actions.size(), 0, "connection_error", e.what());
    }
    if (response.status >= 200 && response.status < 300) {
        BulkOutcome outcome;
        outcome.http_status = response.status;
        try {
            outcome.items = parse_bulk_response(response.body, actions.size());
        } catch (const Error& e) {
            return all_retry(actions.size(), response.status, "malformed_response", e.what());
        }
        outcome.throttled = std::any_of(outcome.items.begin(), outcome.items.end(),
                                        [](const ItemResult& r) { return r.status == 429; });
        return outcome;
    }
    if (response.status == 429 || response.status >= 500) {
        ErrorInfo info = parse_error_body(response.body);
        return all_retry(actions.size(), response.status, std::move(info.type),
                         transport_->redact(std::move(info.reason)));
    }
    throw response_error(*transport_, request, response);
}

WriteResult BulkClient::write(std::string_view index, std::span<const BulkAction> actions,
                              std::stop_token stop) {
    WriteResult result;
    result.items.assign(actions.size(), ItemResult{});
    std::vector<std::size_t> pending(actions.size());
    std::iota(pending.begin(), pending.end(), std::size_t{0});
    retry::Backoff backoff(options_.backoff, random_);
    std::vector<BulkAction> chunk;
    std::vector<std::size_t> next;

    while (!pending.empty()) {
        if (stop.stop_requested()) {
            result.stopped = true;
            break;
        }
        const std::size_t take = std::min(bulk_size_.size(), pending.size());
        chunk.clear();
        for (std::size_t i = 0; i < take; ++i) chunk.push_back(actions[pending[i]]);
        BulkOutcome outcome = send(index, chunk);
        // An error of the index or the cluster as a whole is no document's: the whole write
        // stops with it (the caller commits nothing and tries again), nothing is dead.
        for (const ItemResult& item : outcome.items) {
            const auto fault = target_fault(item.status, item.error_type, item.error_reason);
            if (!fault) continue;
            throw EsError(fmt::format("elasticsearch refuses writes to {} as a whole ({} {}: {}); "
                                      "fix: {}",
                                      index, item.status, item.error_type,
                                      item.error_reason.substr(0, 300), *fault),
                          item.status, item.error_type);
        }

        // Retried items keep their place ahead of the ones not yet sent.
        next.clear();
        const ItemResult* first_retry = nullptr;
        for (std::size_t i = 0; i < take; ++i) {
            const std::size_t at = pending[i];
            result.items[at] = std::move(outcome.items[i]);
            if (result.items[at].outcome == Outcome::kRetry) {
                next.push_back(at);
                if (first_retry == nullptr) first_retry = &result.items[at];
            }
        }
        const std::size_t retried = next.size();
        next.insert(next.end(), pending.begin() + static_cast<std::ptrdiff_t>(take), pending.end());
        pending.swap(next);
        count_request(outcome, retried, result.requests);

        if (outcome.throttled) {
            bulk_size_.on_backpressure();
        } else if (first_retry == nullptr) {
            bulk_size_.on_success();
        }
        // Elasticsearch took part of the chunk: it is up, so wait the base delay again.
        if (retried < take) backoff.reset();
        if (first_retry == nullptr) continue;
        ++result.requests.retries;
        const auto delay = backoff.next();
        // Warn on attempts 1, 2, 4, 8 …; the rest at debug, so a long outage stays readable.
        const int attempt = backoff.attempt();
        const log::Level level =
            (attempt & (attempt - 1)) == 0 ? log::Level::kWarn : log::Level::kDebug;
        if (log::enabled(level)) {
            log::write(level, fmt::format(
                                  "elasticsearch bulk to {}: retrying (attempt {}, HTTP {}, "
                                  "first item: {} {} {}); {} pending, next in {} ms, bulk size {}",
                                  index, attempt, outcome.http_status, first_retry->status,
                                  first_retry->error_type, first_retry->error_reason.substr(0, 200),
                                  pending.size(), delay.count(), bulk_size_.size()));
        }
        if (!sleeper_(delay, stop)) {
            result.stopped = true;
            break;
        }
    }
    return result;
}

}  // namespace kt::es
