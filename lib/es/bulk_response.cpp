#include "lib/es/bulk_response.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include "lib/error.hpp"

namespace kt::es {

namespace {

namespace od = simdjson::ondemand;

[[noreturn]] void malformed(std::string_view why) {
    throw Error(fmt::format("malformed Elasticsearch bulk response: {}", why));
}

template <typename T>
T value_or_malformed(simdjson::simdjson_result<T> result, std::string_view what) {
    T value;
    if (const auto error = std::move(result).get(value); error != simdjson::SUCCESS) {
        malformed(fmt::format("{}: {}", what, simdjson::error_message(error)));
    }
    return value;
}

void read_error(od::value error_value, ItemResult& item) {
    od::json_type type = value_or_malformed(error_value.type(), "error");
    if (type == od::json_type::string) {
        item.error_reason = std::string(value_or_malformed(error_value.get_string(), "error"));
        return;
    }
    if (type != od::json_type::object) return;
    od::object error = value_or_malformed(error_value.get_object(), "error");
    for (auto field_result : error) {
        od::field field = value_or_malformed(std::move(field_result), "error field");
        const od::raw_json_string key = field.key();
        const bool is_type = key == "type";
        if (is_type || key == "reason") {
            std::string_view text;
            if (field.value().get_string().get(text) != simdjson::SUCCESS) continue;
            (is_type ? item.error_type : item.error_reason) = std::string(text);
        }
    }
}

ItemResult read_item(od::object item_object) {
    ItemResult item;
    bool is_delete = false;
    bool has_status = false;
    bool has_op = false;
    for (auto op_result : item_object) {
        od::field op_field = value_or_malformed(std::move(op_result), "item");
        if (has_op) malformed("item with more than one operation");
        has_op = true;
        is_delete = op_field.key() == "delete";
        od::object body = value_or_malformed(op_field.value().get_object(), "item body");
        for (auto field_result : body) {
            od::field field = value_or_malformed(std::move(field_result), "item field");
            // Raw key comparison: no unescaping, and our keys contain no escapes.
            const od::raw_json_string key = field.key();
            if (key == "status") {
                const std::int64_t status = value_or_malformed(field.value().get_int64(), "status");
                if (status < 0 || status > 999) malformed("item status out of range");
                item.status = static_cast<int>(status);
                has_status = true;
            } else if (key == "error") {
                read_error(field.value(), item);
            }
        }
    }
    if (!has_status) malformed("item without status");
    item.outcome = classify_item(is_delete, item.status, item.error_type);
    return item;
}

}  // namespace

std::optional<std::string_view> target_fault(int status, std::string_view error_type,
                                             std::string_view error_reason) {
    if (status >= 200 && status < 300) return std::nullopt;
    if (error_type == "index_not_found_exception") {
        return "the index behind the alias is gone and the cluster does not create it "
               "(action.auto_create_index): `kt reindex INDEX` builds it again";
    }
    if (error_type == "index_closed_exception") {
        return "the index is closed: open it (POST /<index>/_open)";
    }
    // A 503 block (no master yet, state not recovered) passes by itself: retried like any 5xx.
    if (error_type == "cluster_block_exception" && status != 503) {
        return "writes are blocked (index.blocks.write, or read-only after the disk filled up): "
               "free disk space or lift the block (PUT /<index>/_settings "
               "{\"index.blocks.write\": null, \"index.blocks.read_only_allow_delete\": null})";
    }
    if (status == 401 || status == 403 || error_type == "security_exception") {
        return "the credentials under elasticsearch: may not write to this index: grant them "
               "the index's write privilege";
    }
    // Elasticsearch and OpenSearch give these the type of any bad argument
    // (illegal_argument_exception), so only the reason tells them from a document's error.
    if (error_type == "illegal_argument_exception" &&
        (error_reason.find("no write index is defined for alias") != std::string_view::npos ||
         error_reason.find("has more than one ind") != std::string_view::npos)) {
        return "the alias points at several indices and none is its write index: remove the "
               "extra index from the alias (POST /_aliases) or run `kt reindex INDEX`";
    }
    return std::nullopt;
}

Outcome classify_item(bool is_delete, int status, std::string_view error_type) {
    if (status >= 200 && status < 300) return Outcome::kDone;
    if (status == 409 && error_type == "version_conflict_engine_exception") return Outcome::kDone;
    if (status == 404 && is_delete && (error_type.empty() || error_type == "not_found")) {
        return Outcome::kDone;
    }
    if (status == 429 || status >= 500) return Outcome::kRetry;
    return Outcome::kDead;
}

std::vector<ItemResult> parse_bulk_response(std::string_view body, std::size_t n_actions) {
    // One parser per thread: it keeps its buffers between calls.
    thread_local od::parser parser;
    const simdjson::padded_string padded(body);
    od::document doc = value_or_malformed(parser.iterate(padded), "not JSON");
    od::object root = value_or_malformed(doc.get_object(), "not a JSON object");
    const bool errors = value_or_malformed(root["errors"].get_bool(), "field errors");
    od::array items = value_or_malformed(root["items"].get_array(), "field items");

    std::vector<ItemResult> results;
    if (!errors) {
        const std::size_t count = value_or_malformed(items.count_elements(), "items");
        if (count != n_actions) {
            malformed(fmt::format("{} items for {} actions", count, n_actions));
        }
        results.assign(n_actions, ItemResult{Outcome::kDone, 200, {}, {}});
        return results;
    }
    results.reserve(n_actions);
    for (auto item_result : items) {
        od::object item = value_or_malformed(item_result.get_object(), "item");
        if (results.size() == n_actions) malformed(fmt::format("more than {} items", n_actions));
        results.push_back(read_item(item));
    }
    if (results.size() != n_actions) {
        malformed(fmt::format("{} items for {} actions", results.size(), n_actions));
    }
    return results;
}

}  // namespace kt::es
