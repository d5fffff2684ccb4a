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

}  // namespace

IndexScanner::IndexScanner(Transport& transport, ScanOptions options)
    : transport_(transport), options_(std::move(options)) {
    if (options_.page_size == 0) options_.page_size = 1;
}

Response IndexScanner::checked(Method method, std::string target, std::string body) {
    Request request;
    request.method = method;
    request.target = std::move(target);
    request.body = std::move(body);
    if (!request.body.empty()) request.content_type = "application/json";
    Response response = transport_.perform(request);
    if (response.status < 200 || response.status >= 300) {
        throw response_error(transport_, request, response);
    }
    return response;
}

std::size_t IndexScanner::scan(std::string_view index, const ScanPageFn& on_page) {
    const Response opened = checked(
        Method::kPost,
        fmt::format("/{}/_pit?keep_alive={}", encode_path_segment(index), options_.keep_alive), {});
    std::string pit_id = parse_or_throw(opened, "open point in time").value("id", "");
    if (pit_id.empty()) {
        throw EsError("elasticsearch open point in time: answer has no id", opened.status, "");
    }
    std::size_t total = 0;
    try {
        json after;  // null: first page
        std::vector<ScannedDocument> page;
        while (true) {
            json body = {{"size", options_.page_size},
                         {"pit", {{"id", pit_id}, {"keep_alive", options_.keep_alive}}},
                         {"sort", json::array({{{"_shard_doc", "asc"}}})},
                         {"track_total_hits", false},
                         {"version", true}};
            if (!after.is_null()) body["search_after"] = after;
            const Response response = checked(Method::kPost, "/_search", body.dump());
            const json answer = parse_or_throw(response, "search");
            if (const auto id = answer.find("pit_id"); id != answer.end() && id->is_string()) {
                pit_id = id->get<std::string>();
            }
            const json* hits = nullptr;
            if (const auto h = answer.find("hits"); h != answer.end() && h->is_object()) {
                if (const auto hh = h->find("hits"); hh != h->end() && hh->is_array()) {
                    hits = &*hh;
                }
            }
            if (hits == nullptr) {
                throw EsError("elasticsearch search: answer has no hits.hits", response.status, "");
            }
            if (hits->empty()) break;
            page.clear();
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
            after = hits->back().value("sort", json());
            if (!after.is_array()) {
                throw EsError("elasticsearch search: hit has no sort values", response.status, "");
            }
            total += page.size();
            on_page(page);
            if (hits->size() < options_.page_size) break;
        }
    } catch (...) {
        try {
            (void)transport_.perform(Request{
                Method::kDelete, "/_pit", json{{"id", pit_id}}.dump(), "application/json", {}});
        } catch (...) {
            // The point in time expires by itself after keep_alive.
        }
        throw;
    }
    try {
        (void)transport_.perform(
            Request{Method::kDelete, "/_pit", json{{"id", pit_id}}.dump(), "application/json", {}});
    } catch (const std::exception& e) {
        log::warn("closing the point in time on {} failed (it expires by itself): {}", index,
                  e.what());
    }
    return total;
}

}  // namespace kt::es
