#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "lib/es/transport.hpp"

namespace kt::es {

/// One document read back from an index.
struct ScannedDocument {
    std::string id;      ///< `_id`
    std::string source;  ///< `_source` as JSON text (re-serialised, keys in the order sent)
    std::optional<std::int64_t> version;  ///< `_version`, when the answer had one
};

/// Receives one page of documents; the span lives only during the call.
using ScanPageFn = std::function<void(std::span<const ScannedDocument> page)>;

/// Settings of IndexScanner.
struct ScanOptions {
    std::size_t page_size = 1000;   ///< hits per search request
    std::string keep_alive = "2m";  ///< point-in-time keep-alive, renewed by every page
};

/// Reads every document of an index or alias as of one point in time: a point in time is
/// opened, pages are read with `sort: _shard_doc` and `search_after` (never from+size, which
/// Elasticsearch caps at 10,000), and the point in time is closed at the end, also when
/// `on_page` throws. A server without `/_pit` (OpenSearch, whose point in time lives
/// elsewhere, or Elasticsearch without it) is read with a scroll instead, cleared the same
/// way. Only documents visible to search (refreshed) are read. Throws kt::EsError for an error
/// answer and kt::TransientError when no answer arrived. Not thread-safe.
class IndexScanner {
public:
    /// Sends its requests through `transport`, which must outlive the scanner.
    explicit IndexScanner(Transport& transport, ScanOptions options = {});

    /// Hands every document of `index` to `on_page`, a page at a time; returns how many.
    std::size_t scan(std::string_view index, const ScanPageFn& on_page);

private:
    Response checked(Method method, std::string target, std::string body);
    std::size_t scan_with_pit(std::string_view index, const Response& opened,
                              const ScanPageFn& on_page);
    std::size_t scan_with_scroll(std::string_view index, const ScanPageFn& on_page);
    /// Hands the hits of a search answer to `on_page` (unless none); returns how many. `answer`
    /// receives the parsed body; `after`, when given, the last hit's sort values.
    std::size_t read_page(const Response& response, const ScanPageFn& on_page,
                          nlohmann::json& answer, nlohmann::json* after);
    /// True when opening a point in time failed because the server has no such API.
    static bool point_in_time_missing(const Response& response);

    Transport& transport_;
    ScanOptions options_;
    bool pit_missing_ = false;  ///< the server answered that it has no `/_pit`
};

}  // namespace kt::es
