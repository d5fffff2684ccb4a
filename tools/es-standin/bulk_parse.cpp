#include "tools/es-standin/bulk_parse.hpp"

#include <fmt/format.h>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include <optional>

namespace kt::tools::standin {

namespace {

constexpr size_t kMaxIdBytes = 512;

const char* token_name(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::object:
            return "START_OBJECT";
        case nlohmann::json::value_t::array:
            return "START_ARRAY";
        case nlohmann::json::value_t::string:
            return "VALUE_STRING";
        case nlohmann::json::value_t::boolean:
            return "VALUE_BOOLEAN";
        case nlohmann::json::value_t::null:
            return "VALUE_NULL";
        case nlohmann::json::value_t::number_float:
            return "VALUE_NUMBER_FLOAT";
        default:
            return "VALUE_NUMBER_INT";
    }
}

std::string text_of(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

int64_t int_of(const nlohmann::json& value, const char* name) {
    if (value.is_number_integer()) return value.get<int64_t>();
    if (value.is_string()) {
        try {
            return std::stoll(value.get<std::string>());
        } catch (const std::exception&) {
        }
    }
    throw illegal_argument(fmt::format("Failed to parse [{}] of bulk action", name));
}

std::optional<BulkOp> op_named(std::string_view name) {
    if (name == "index") return BulkOp::kIndex;
    if (name == "create") return BulkOp::kCreate;
    if (name == "delete") return BulkOp::kDelete;
    if (name == "update") return BulkOp::kUpdate;
    return std::nullopt;
}

/// Reads an action/metadata line, or throws Elasticsearch's error for it.
BulkItem read_action(std::string_view line, size_t action_line, const BulkDefaults& defaults) {
    nlohmann::json action = nlohmann::json::parse(line, nullptr, false);
    if (action.is_discarded()) {
        throw ApiError(400, "x_content_parse_exception",
                       fmt::format("[{}:1] Unexpected character: malformed action/metadata "
                                   "line [{}]",
                                   action_line, action_line));
    }
    if (!action.is_object()) {
        throw illegal_argument(
            fmt::format("Malformed action/metadata line [{}], expected START_OBJECT or "
                        "END_OBJECT but found [{}]",
                        action_line, token_name(action)));
    }
    if (action.empty()) {
        throw illegal_argument(fmt::format(
            "Malformed action/metadata line [{}], expected FIELD_NAME but found [END_OBJECT]",
            action_line));
    }
    if (action.size() > 1) {
        throw illegal_argument(fmt::format(
            "Malformed action/metadata line [{}], expected END_OBJECT but found [FIELD_NAME]",
            action_line));
    }
    const auto action_first = action.begin();
    const std::string& name = action_first.key();
    const auto& meta = action_first.value();
    BulkItem item;
    if (const auto op = op_named(name)) {
        item.op = *op;
    } else {
        throw illegal_argument(
            fmt::format("Malformed action/metadata line [{}], expected field [create], "
                        "[delete], [index] or [update] but found [{}]",
                        action_line, name));
    }
    if (!meta.is_object()) {
        throw illegal_argument(
            fmt::format("Malformed action/metadata line [{}], expected START_OBJECT but found [{}]",
                        action_line, token_name(meta)));
    }
    item.index = defaults.index;
    item.require_alias = defaults.require_alias;
    for (const auto& [key, value] : meta.items()) {
        if (key == "_index") {
            item.index = text_of(value);
        } else if (key == "_id") {
            item.id = text_of(value);
        } else if (key == "version") {
            item.conditions.version = int_of(value, "version");
        } else if (key == "version_type") {
            item.conditions.version_type = parse_version_type(text_of(value));
        } else if (key == "if_seq_no") {
            item.conditions.if_seq_no = int_of(value, "if_seq_no");
        } else if (key == "if_primary_term") {
            item.conditions.if_primary_term = int_of(value, "if_primary_term");
        } else if (key == "require_alias") {
            item.require_alias = value.is_boolean() ? value.get<bool>() : text_of(value) == "true";
        } else if (key == "op_type") {
            if (text_of(value) == "create") item.op = BulkOp::kCreate;
        } else if (key == "_source" && item.op == BulkOp::kUpdate) {
            item.source_filter = Json::parse(value.dump());
        } else if (key == "routing" || key == "pipeline" || key == "retry_on_conflict" ||
                   key == "dynamic_templates" || key == "require_data_stream" ||
                   key == "list_executed_pipelines" || key == "_source") {
            // accepted and ignored: single shard, no ingest pipelines
        } else {
            throw illegal_argument(fmt::format(
                "Action/metadata line [{}] contains an unknown parameter [{}]", action_line, key));
        }
    }
    return item;
}

/// A plain action line (`index`, `create` or `delete` with only string `_index` and `_id`,
/// an integer `version` and a known `version_type`) read with simdjson; anything else,
/// malformed lines included, is left to read_action and its exact errors.
std::optional<BulkItem> read_plain_action(std::string_view line, const BulkDefaults& defaults) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::object action;
    if (parser.parse(line.data(), line.size()).get(action) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    if (action.size() != 1) return std::nullopt;
    const auto [name, meta_value] = *action.begin();
    const auto op = op_named(name);
    if (!op || *op == BulkOp::kUpdate) return std::nullopt;
    BulkItem item;
    item.op = *op;
    simdjson::dom::object meta;
    if (meta_value.get(meta) != simdjson::SUCCESS) return std::nullopt;
    item.index = defaults.index;
    item.require_alias = defaults.require_alias;
    for (const auto [key, value] : meta) {
        std::string_view text;
        if (key == "_index" && value.get(text) == simdjson::SUCCESS) {
            item.index = std::string(text);
        } else if (key == "_id" && value.get(text) == simdjson::SUCCESS) {
            item.id = std::string(text);
        } else if (key == "version" && value.is_int64()) {
            item.conditions.version = value.get_int64().value_unsafe();
        } else if (key == "version_type" && value.get(text) == simdjson::SUCCESS &&
                   (text == "internal" || text == "external" || text == "external_gte")) {
            item.conditions.version_type = parse_version_type(text);
        } else {
            return std::nullopt;
        }
    }
    return item;
}

}  // namespace

const char* bulk_op_name(BulkOp op) {
    switch (op) {
        case BulkOp::kIndex:
            return "index";
        case BulkOp::kCreate:
            return "create";
        case BulkOp::kDelete:
            return "delete";
        case BulkOp::kUpdate:
            return "update";
    }
    return "index";
}

std::vector<BulkItem> parse_bulk(std::string_view body, const BulkDefaults& defaults) {
    if (body.empty()) throw ApiError(400, "parse_exception", "request body is required");
    if (body.back() != '\n') {
        throw illegal_argument("The bulk request must be terminated by a newline [\\n]");
    }
    std::vector<BulkItem> items;
    std::vector<std::string> validation;
    size_t pos = 0;
    size_t line_no = 0;
    auto next_line = [&](std::string_view& line) {
        while (pos < body.size()) {
            size_t end = body.find('\n', pos);
            if (end == std::string_view::npos) end = body.size();
            line = body.substr(pos, end - pos);
            pos = end + 1;
            ++line_no;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (line.find_first_not_of(" \t") != std::string_view::npos) return true;
        }
        return false;
    };
    std::string_view line;
    while (next_line(line)) {
        const size_t action_line = line_no;
        BulkItem item;
        if (auto plain = read_plain_action(line, defaults)) {
            item = std::move(*plain);
        } else {
            item = read_action(line, action_line, defaults);
        }
        if (item.index.empty()) validation.emplace_back("index is missing");
        if (item.id && item.id->empty()) {
            item.error = illegal_argument("if _id is specified it must not be empty");
        } else if (item.id && item.id->size() > kMaxIdBytes) {
            item.error = validation_failed(
                fmt::format("id [{}] is too long, must be no longer than 512 bytes but was: {}",
                            *item.id, item.id->size()));
        }
        WriteConditions check = item.conditions;
        check.op = item.op == BulkOp::kCreate   ? WriteOp::kCreate
                   : item.op == BulkOp::kDelete ? WriteOp::kDelete
                                                : WriteOp::kIndex;
        item.conditions.op = check.op;
        if (item.op == BulkOp::kUpdate &&
            (check.version || check.version_type != VersionType::kInternal)) {
            validation.emplace_back("can't provide version in update requests");
        } else if (auto reason = validate_conditions(check); !reason.empty()) {
            validation.push_back(reason);
        }
        if (item.op == BulkOp::kDelete) {
            if (!item.id) validation.emplace_back("id is missing");
            items.push_back(std::move(item));
            continue;
        }
        std::string_view source_line;
        if (!next_line(source_line)) {
            validation.emplace_back("source is missing");
            items.push_back(std::move(item));
            break;
        }
        if (item.op == BulkOp::kUpdate) {
            if (!item.id) validation.emplace_back("id is missing");
            Json update = Json::parse(source_line, nullptr, false);
            if (update.is_discarded() || !update.is_object()) {
                throw ApiError(400, "x_content_parse_exception",
                               fmt::format("[{}:1] Failed to parse update request body", line_no));
            }
            for (const auto& [key, value] : update.items()) {
                if (key != "doc" && key != "upsert" && key != "doc_as_upsert" &&
                    key != "detect_noop" && key != "_source" && key != "script" &&
                    key != "scripted_upsert" && key != "lang") {
                    throw ApiError(
                        400, "x_content_parse_exception",
                        fmt::format("[{}:{}] [UpdateRequest] unknown field [{}]", line_no, 2, key));
                }
            }
            if (update.contains("script")) {
                item.error = illegal_argument(
                    "scripted updates are not supported by the "
                    "Elasticsearch stand-in");
            }
            item.update = std::move(update);
        } else {
            item.source = std::string(source_line);
        }
        items.push_back(std::move(item));
    }
    if (items.empty()) validation.emplace_back("no requests added");
    if (!validation.empty()) {
        std::string reason = "Validation Failed: ";
        for (size_t i = 0; i < validation.size(); ++i) {
            reason += fmt::format("{}: {};", i + 1, validation[i]);
        }
        throw ApiError(400, "action_request_validation_exception", reason);
    }
    return items;
}

}  // namespace kt::tools::standin
