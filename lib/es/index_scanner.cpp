#include "lib/es/index_scanner.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "lib/error.hpp"
#include "lib/es/response_error.hpp"
#include "lib/log/log.hpp"

namespace kt::es {

namespace {

using nlohmann::json;

json parse_or_throw(const Response& response, std::string_view what) {
    json parsed = json::parse(response.body, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        throw EsError(fmt::format("elasticsearch {}: answer is not a JSON object", what),
                      response.status, "");
    }
    return parsed;
}

/// Runs `read`, then `release` (of a point in time or a scroll, which would otherwise stay open
/// until its keep_alive ends): quietly when `read` threw, before rethrowing; otherwise a
/// failure of `releasing` is logged as a warning, as the scan itself succeeded.
template <class Read, class Release>
void read_then_release(const Read& read, const Release& release, std::string_view releasing,
                       std::string_view index) {
    try {
        read();
    } catch (...) {
        try {
            release();
        } catch (...) {
            // It expires by itself after keep_alive.
        }
        throw;
    }
    try {
        release();
    } catch (const std::exception& e) {
        log::warn("{} on {} failed (it expires by itself): {}", releasing, index, e.what());
    }
}

}  // namespace

IndexScanner::IndexScanner(Transport& transport, ScanOptions options)
    : transport_(transport), options_(std::move(options)) {
    if (options_.page_size == 0) options_.page_size = 1;
}

Response IndexScanner::checked(Method method, std::string target, std::string body) {
    return perform_checked(transport_, json_request(method, std::move(target), std::move(body)));
}

std::size_t IndexScanner::scan(std::string_view index, const ScanPageFn& on_page) {
    if (!pit_missing_) {
        Request open{Method::kPost,
                     fmt::format("/{}/_pit?keep_alive={}", encode_path_segment(index),
                                 options_.keep_alive),
                     {},
                     {},
                     {}};
        const Response opened = transport_.perform(open);
        if (opened.status >= 200 && opened.status < 300) {
            return scan_with_pit(index, opened, on_page);
        }
        if (!point_in_time_missing(opened)) throw response_error(transport_, open, opened);
        pit_missing_ = true;
        log::info("the search server has no point-in-time API (/_pit); reading {} with a "
                  "scroll instead",
                  index);
    }
    return scan_with_scroll(index, on_page);
}

bool IndexScanner::point_in_time_missing(const Response& response) {
    // Elasticsearch without the point-in-time API and OpenSearch (whose API lives elsewhere)
    // answer `no handler found for uri`: 400 or 405 with `error` a plain string, or 404
    // without an error object. An index that does not exist answers a typed error.
    if (response.status != 400 && response.status != 404 && response.status != 405) return false;
    const json body = json::parse(response.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return true;
    const auto error = body.find("error");
    return error == body.end() || !error->is_object();
}

std::size_t IndexScanner::read_page(const Response& response, const ScanPageFn& on_page,
                                    json& answer, json* after) {
    answer = parse_or_throw(response, "search");
    const json* hits = nullptr;
    if (const auto h = answer.find("hits"); h != answer.end() && h->is_object()) {
        if (const auto hh = h->find("hits"); hh != h->end() && hh->is_array()) hits = &*hh;
    }
    if (hits == nullptr) {
        throw EsError("elasticsearch search: answer has no hits.hits", response.status, "");
    }
    if (hits->empty()) return 0;
    std::vector<ScannedDocument> page;
    page.reserve(hits->size());
    for (const json& hit : *hits) {
        ScannedDocument doc;
        doc.id = hit.value("_id", "");
        if (const auto s = hit.find("_source"); s != hit.end()) doc.source = s->dump();
        if (const auto v = hit.find("_version"); v != hit.end() && v->is_number_integer()) {
            doc.version = v->get<std::int64_t>();
        }
        page.push_back(std::move(doc));
    }
    if (after != nullptr) {
        *after = hits->back().value("sort", json());
        if (!after->is_array()) {
            throw EsError("elasticsearch search: hit has no sort values", response.status, "");
        }
    }
    on_page(page);
    return page.size();
}

std::size_t IndexScanner::scan_with_pit(std::string_view index, const Response& opened,
                                        const ScanPageFn& on_page) {
    std::string pit_id = parse_or_throw(opened, "open point in time").value("id", "");
    if (pit_id.empty()) {
        throw EsError("elasticsearch open point in time: answer has no id", opened.status, "");
    }
    const auto close = [&] {
        return transport_.perform(
            Request{Method::kDelete, "/_pit", json{{"id", pit_id}}.dump(), "application/json", {}});
    };
    std::size_t total = 0;
    const auto read = [&] {
        json after;  // null: first page
        json answer;
        while (true) {
            json body = {{"size", options_.page_size},
                         {"pit", {{"id", pit_id}, {"keep_alive", options_.keep_alive}}},
                         {"sort", json::array({{{"_shard_doc", "asc"}}})},
                         {"track_total_hits", false},
                         {"version", true}};
            if (!after.is_null()) body["search_after"] = after;
            const Response response = checked(Method::kPost, "/_search", body.dump());
            const std::size_t n = read_page(response, on_page, answer, &after);
            if (const auto id = answer.find("pit_id"); id != answer.end() && id->is_string()) {
                pit_id = id->get<std::string>();
            }
            total += n;
            if (n < options_.page_size) break;
        }
    };
    read_then_release(read, close, "closing the point in time", index);
    return total;
}

std::size_t IndexScanner::scan_with_scroll(std::string_view index, const ScanPageFn& on_page) {
    // A scroll reads one point in time as well; `_doc` order is the cheapest. Scrolls count
    // their hits (track_total_hits cannot be turned off in a scroll context).
    const json first = {{"size", options_.page_size},
                        {"sort", json::array({"_doc"})},
                        {"version", true}};
    Response response =
        checked(Method::kPost,
                fmt::format("/{}/_search?scroll={}", encode_path_segment(index),
                            options_.keep_alive),
                first.dump());
    std::string scroll_id;
    const auto clear = [&] {
        return transport_.perform(Request{Method::kDelete, "/_search/scroll",
                                          json{{"scroll_id", scroll_id}}.dump(),
                                          "application/json", {}});
    };
    std::size_t total = 0;
    const auto read = [&] {
        json answer;
        while (true) {
            const std::size_t n = read_page(response, on_page, answer, nullptr);
            if (const auto id = answer.find("_scroll_id"); id != answer.end() && id->is_string()) {
                scroll_id = id->get<std::string>();
            }
            total += n;
            if (n < options_.page_size) break;
            if (scroll_id.empty()) {
                throw EsError("elasticsearch scroll: answer has no _scroll_id", response.status,
                              "");
            }
            response = checked(
                Method::kPost, "/_search/scroll",
                json{{"scroll", options_.keep_alive}, {"scroll_id", scroll_id}}.dump());
        }
    };
    read_then_release(
        read,
        [&] {
            if (!scroll_id.empty()) (void)clear();
        },
        "clearing the scroll", index);
    return total;
}

}  // namespace kt::es
