#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tools/es-standin/catalog.hpp"
#include "tools/es-standin/query.hpp"
#include "tools/es-standin/request.hpp"

namespace kt::tools::standin {

/// One sort clause.
struct SortField {
    std::string field;
    bool descending = false;
    std::string format;  ///< date output/search_after format (date fields)
    std::optional<std::string> unmapped_type;
};

/// Parses a body `sort` value (string, object or array of those); throws ApiError.
std::vector<SortField> parse_sort(const Json& sort);
/// Parses the `sort` query parameter (`a:desc,b`).
std::vector<SortField> parse_sort_param(const std::string& text);
/// Throws the Elasticsearch "Result window is too large" error when from + size exceeds `window`.
void check_result_window(int64_t from, int64_t size, int64_t window, const std::string& index);

/// One index's searchable view.
struct SearchTarget {
    std::string index;
    SnapshotPtr docs;
    Json mappings;
    int64_t max_result_window = 10000;
};

/// A matched document with its sort values.
struct Hit {
    const SearchTarget* target = nullptr;
    DocPtr doc;
    std::vector<Json> sort;
    std::vector<Json> keys;  ///< comparable keys (sort values converted)
};

/// Search, count, scroll and point-in-time over the catalog. Thread-safe.
class SearchService {
public:
    SearchService(Catalog& catalog, Clock clock);

    /// `GET|POST /{index}/_search`; `index` is empty for `/_search`.
    Json search(const std::string& index, const Json& body, const Params& params);
    /// `GET|POST /{index}/_count`.
    Json count(const std::string& index, const Json& body, const Params& params);
    /// `POST /_search/scroll`.
    Json scroll(const std::string& id, const std::optional<std::string>& keep_alive,
                const Params& params);
    /// `DELETE /_search/scroll`; returns status and body.
    std::pair<int, Json> clear_scroll(const std::vector<std::string>& ids);
    /// `POST /{index}/_pit`.
    Json open_pit(const std::string& index, const Params& params);
    /// `DELETE /_pit`; returns status and body.
    std::pair<int, Json> close_pit(const std::string& id);
    /// `GET|POST /_msearch` (NDJSON body).
    Json msearch(const std::string& index, const std::string& body, const Params& params);

private:
    struct PitContext {
        std::vector<SearchTarget> targets;
        std::chrono::steady_clock::time_point expires;
    };
    struct ScrollContext {
        std::vector<SearchTarget> targets;
        std::vector<Hit> hits;
        size_t position = 0;
        size_t page = 10;
        int64_t total = 0;
        bool sorted = false;
        SourceFilter source;
        std::chrono::steady_clock::time_point expires;
    };

    std::vector<SearchTarget> targets_for(const std::string& index, const Params& params) const;
    void expire_contexts();

    Catalog& catalog_;
    Clock clock_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<PitContext>> pits_;
    std::map<std::string, std::shared_ptr<ScrollContext>> scrolls_;
};

}  // namespace kt::tools::standin
