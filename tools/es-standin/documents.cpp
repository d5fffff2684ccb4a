#include "tools/es-standin/documents.hpp"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <set>

#include "tools/es-standin/names.hpp"
#include "tools/es-standin/query.hpp"
#include "tools/es-standin/response_filter.hpp"
#include "tools/es-standin/source_shape.hpp"

namespace kt::tools::standin {

namespace {

constexpr size_t kMaxIdBytes = 512;

enum class RefreshMode { kNone, kImmediate, kWaitFor };

RefreshMode refresh_mode(const Params& params) {
    auto v = param(params, "refresh");
    if (!v || *v == "false") return RefreshMode::kNone;
    if (*v == "true" || v->empty()) return RefreshMode::kImmediate;
    if (*v == "wait_for") return RefreshMode::kWaitFor;
    throw illegal_argument("Unknown value for refresh: [" + *v + "].");
}

std::optional<int64_t> int_param(const Params& params, const char* name) {
    auto v = param(params, name);
    if (!v) return std::nullopt;
    try {
        size_t used = 0;
        const int64_t out = std::stoll(*v, &used);
        if (used == v->size()) return out;
    } catch (const std::exception&) {
    }
    throw illegal_argument(
        fmt::format("Failed to parse long parameter [{}] with value [{}]", name, *v));
}

WriteConditions conditions_from(const Params& params, WriteOp op) {
    WriteConditions c;
    c.op = op;
    c.version = int_param(params, "version");
    if (auto v = param(params, "version_type")) c.version_type = parse_version_type(*v);
    c.if_seq_no = int_param(params, "if_seq_no");
    c.if_primary_term = int_param(params, "if_primary_term");
    if (auto reason = validate_conditions(c); !reason.empty()) throw validation_failed(reason);
    return c;
}

void check_id(const std::string& id) {
    if (id.size() > kMaxIdBytes) {
        throw validation_failed(fmt::format(
            "id [{}] is too long, must be no longer than 512 bytes but was: {}", id, id.size()));
    }
}

Json shards_json(int total, int successful) {
    Json out = Json::object();
    out["total"] = total;
    out["successful"] = successful;
    out["failed"] = 0;
    return out;
}

ApiResponse write_response(const IndexStore& index, const std::string& id,
                           const WriteOutcome& outcome, RefreshMode refresh) {
    if (outcome.error) return {outcome.error->status(), outcome.error->body().dump()};
    Json out = Json::object();
    out["_index"] = index.name();
    out["_id"] = id;
    out["_version"] = outcome.version;
    out["result"] = outcome.result;
    if (refresh == RefreshMode::kImmediate) out["forced_refresh"] = true;
    out["_shards"] =
        outcome.result == "noop" ? shards_json(0, 0) : shards_json(1 + index.replicas(), 1);
    out["_seq_no"] = outcome.seq_no;
    out["_primary_term"] = outcome.primary_term;
    return {outcome.status, out.dump()};
}

Json get_json(const IndexStore& index, const std::string& id, const DocPtr& doc,
              const SourceFilter& filter, const std::vector<std::string>& stored_fields) {
    Json out = Json::object();
    out["_index"] = index.name();
    out["_id"] = id;
    if (!doc) {
        out["found"] = false;
        return out;
    }
    out["_version"] = doc->version;
    out["_seq_no"] = doc->seq_no;
    out["_primary_term"] = doc->primary_term;
    out["found"] = true;
    const Json source = Json::parse(doc->source, nullptr, false);
    if (!stored_fields.empty()) {
        const Json mappings = index.mappings();
        Json fields = Json::object();
        for (const auto& name : stored_fields) {
            const bool stored = mappings.contains("properties") &&
                                mappings["properties"].contains(name) &&
                                mappings["properties"][name].value("store", false);
            const Json* value = field_value(source, name);
            if (stored && value) fields[name] = value->is_array() ? *value : Json::array({*value});
        }
        if (!fields.empty()) out["fields"] = fields;
    }
    if (filter.enabled) out["_source"] = filter.apply(source);
    return out;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (const char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += fmt::format("\\u{:04x}", static_cast<int>(c));
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

namespace {

/// Members of a bulk item's answer, in Elasticsearch's order.
enum BulkField : std::size_t {
    kIndexField,
    kIdField,
    kVersionField,
    kResultField,
    kShardsField,
    kSeqNoField,
    kPrimaryTermField,
    kStatusField,
    kErrorField,
    kGetField,
    kBulkFieldCount
};
constexpr std::array<const char*, kBulkFieldCount> kBulkFieldNames{
    "_index",  "_id",           "_version", "result", "_shards",
    "_seq_no", "_primary_term", "status",   "error",  "get"};

/// Writes the items of a bulk answer as text, keeping only what `filter_path` keeps (decided
/// once per operation and member, not by parsing the answer afterwards).
class BulkAnswerWriter {
public:
    BulkAnswerWriter(const ResponseFilter* filter, const ResponseFilter::Cursor* items)
        : filter_(filter), items_(items) {}

    void begin(BulkOp op) {
        op_ = op;
        members_.clear();
    }

    void member(BulkField field, std::string_view json) {
        const char* name = kBulkFieldNames[field];
        if (filter_ == nullptr) {
            append(name, json);
            return;
        }
        const ResponseFilter::Cursor& at = cursor(field);
        switch (ResponseFilter::keep(at)) {
            case ResponseFilter::Keep::kNothing:
                return;
            case ResponseFilter::Keep::kWhole:
                append(name, json);
                return;
            case ResponseFilter::Keep::kSome:
                scratch_.clear();
                if (filter_->write(at, json, scratch_)) append(name, scratch_);
                return;
        }
    }

    /// Appends the item to `out` unless the filter kept none of it.
    void finish(std::string& out) {
        const bool whole =
            filter_ == nullptr || ResponseFilter::keep(op_cursor()) == ResponseFilter::Keep::kWhole;
        if (members_.empty() && !whole) return;
        if (written_++ > 0) out += ',';
        out += "{\"";
        out += bulk_op_name(op_);
        out += "\":{";
        out += members_;
        out += "}}";
    }

    /// Items written so far.
    [[nodiscard]] std::size_t written() const { return written_; }

private:
    void append(const char* name, std::string_view json) {
        if (!members_.empty()) members_ += ',';
        members_ += '"';
        members_ += name;
        members_ += "\":";
        members_ += json;
    }

    const ResponseFilter::Cursor& op_cursor() {
        auto& plan = plans_[static_cast<std::size_t>(op_)];
        if (!plan.op) plan.op = filter_->child(*items_, bulk_op_name(op_));
        return *plan.op;
    }

    const ResponseFilter::Cursor& cursor(BulkField field) {
        auto& plan = plans_[static_cast<std::size_t>(op_)];
        auto& at = plan.fields[field];
        if (!at) at = filter_->child(op_cursor(), kBulkFieldNames[field]);
        return *at;
    }

    struct Plan {
        std::optional<ResponseFilter::Cursor> op;
        std::array<std::optional<ResponseFilter::Cursor>, kBulkFieldCount> fields;
    };
    const ResponseFilter* filter_;
    const ResponseFilter::Cursor* items_;
    std::array<Plan, 4> plans_;
    BulkOp op_ = BulkOp::kIndex;
    std::string members_;
    std::string scratch_;
    std::size_t written_ = 0;
};

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

}  // namespace

DocumentService::DocumentService(Catalog& catalog, FaultInjector& faults, StandinStats& stats)
    : catalog_(catalog), faults_(faults), stats_(stats) {}

ApiResponse DocumentService::bulk(const std::string& index, const std::string& body,
                                  const Params& params) {
    const auto started = std::chrono::steady_clock::now();
    const RefreshMode refresh = refresh_mode(params);
    if (faults_.reject_bulk()) {
        stats_.bulk_request(true);
        const ApiError error = rejected_execution();
        return {429, error.body().dump()};
    }
    stats_.bulk_request(false);
    BulkDefaults defaults;
    defaults.index = index;
    if (auto v = param(params, "require_alias"))
        defaults.require_alias = parse_bool_param(*v, "require_alias");
    std::vector<BulkItem> items = parse_bulk(body, defaults);
    SourceFilter request_filter;
    {
        auto src = param(params, "_source");
        auto inc = param(params, "_source_includes");
        auto exc = param(params, "_source_excludes");
        request_filter = SourceFilter::from_params(src, inc, exc);
        if (!src && !inc && !exc) request_filter.enabled = false;
    }
    const std::optional<ResponseFilter> filter = ResponseFilter::from_params(params);
    std::optional<ResponseFilter::Cursor> top;
    std::optional<ResponseFilter::Cursor> items_at;
    if (filter) {
        top = filter->root();
        items_at = filter->child(*top, "items");
    }
    BulkAnswerWriter writer(filter ? &*filter : nullptr, filter ? &*items_at : nullptr);
    std::string out_items;
    out_items.reserve(items.size() * (filter ? 32 : 160));
    bool errors = false;
    std::set<IndexPtr> touched;
    for (size_t i = 0; i < items.size(); ++i) {
        BulkItem& item = items[i];
        std::string id = item.id.value_or("");
        IndexPtr target;
        std::optional<ApiError> error = item.error;
        WriteOutcome outcome;
        std::string index_name = item.index;
        if (!error) {
            try {
                target = catalog_.resolve_for_write(item.index, item.require_alias);
                index_name = target->name();
            } catch (const ApiError& e) {
                error = e;
            }
        }
        if (!error && faults_.reject_item()) error = rejected_execution();
        if (!error) {
            if (!item.id) id = random_id();
            switch (item.op) {
                case BulkOp::kIndex:
                case BulkOp::kCreate: {
                    const SourceShape shape = inspect_source(item.source);
                    outcome = target->index(id, std::move(item.source), shape, item.conditions);
                    break;
                }
                case BulkOp::kDelete:
                    outcome = target->remove(id, item.conditions);
                    break;
                case BulkOp::kUpdate: {
                    UpdateSpec spec;
                    if (item.update.contains("doc")) spec.doc = item.update["doc"];
                    if (item.update.contains("upsert")) spec.upsert = item.update["upsert"];
                    spec.doc_as_upsert = item.update.value("doc_as_upsert", false);
                    spec.detect_noop = item.update.value("detect_noop", true);
                    spec.conditions = item.conditions;
                    outcome = target->update(id, spec);
                    break;
                }
            }
            if (outcome.error) error = outcome.error;
        }
        writer.begin(item.op);
        writer.member(kIndexField, json_string(index_name));
        writer.member(kIdField, json_string(id));
        if (error) {
            errors = true;
            stats_.bulk_item(error->status() == 429   ? "rejected"
                             : error->status() == 409 ? "conflict"
                                                      : "error");
            writer.member(kStatusField, std::to_string(error->status()));
            writer.member(kErrorField, error->cause().dump());
            writer.finish(out_items);
            continue;
        }
        touched.insert(target);
        stats_.bulk_item(outcome.result);
        if (outcome.result != "noop" && outcome.result != "not_found")
            stats_.doc_written(index_name);
        const bool noop = outcome.result == "noop";
        const int total = noop ? 0 : 1 + target->replicas();
        writer.member(kVersionField, std::to_string(outcome.version));
        writer.member(kResultField, json_string(outcome.result));
        writer.member(kShardsField, fmt::format(R"({{"total":{},"successful":{},"failed":0}})",
                                                total, noop ? 0 : 1));
        writer.member(kSeqNoField, std::to_string(outcome.seq_no));
        writer.member(kPrimaryTermField, std::to_string(outcome.primary_term));
        writer.member(kStatusField, std::to_string(outcome.status));
        if (item.op == BulkOp::kUpdate && outcome.doc) {
            SourceFilter source_filter = request_filter;
            if (!item.update.is_null() && item.update.contains("_source")) {
                source_filter = SourceFilter::from_json(item.update["_source"]);
            } else if (!item.source_filter.is_null()) {
                source_filter = SourceFilter::from_json(item.source_filter);
            }
            if (source_filter.enabled) {
                Json get = Json::object();
                get["_seq_no"] = outcome.seq_no;
                get["_primary_term"] = outcome.primary_term;
                get["found"] = true;
                get["_source"] = source_filter.apply(Json::parse(outcome.doc->source));
                writer.member(kGetField, get.dump());
            }
        }
        writer.finish(out_items);
    }
    if (refresh != RefreshMode::kNone) {
        for (const auto& target : touched) target->refresh();
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
    if (!filter) {
        std::string out =
            fmt::format("{{\"took\":{},\"errors\":{},\"items\":[", took, errors ? "true" : "false");
        out += out_items;
        out += "]}";
        return {200, std::move(out)};
    }
    // The same answer through `filter_path`: each member kept whole or left out, `items` kept
    // when some item was (or when it is kept whole, even empty).
    std::string out = "{";
    auto top_member = [&](const char* name, std::string_view json, bool some) {
        const ResponseFilter::Cursor at = filter->child(*top, name);
        const ResponseFilter::Keep keep = ResponseFilter::keep(at);
        if (keep == ResponseFilter::Keep::kNothing) return;
        if (keep == ResponseFilter::Keep::kSome && !some) return;
        if (out.size() > 1) out += ',';
        out += fmt::format("\"{}\":{}", name, json);
    };
    top_member("took", std::to_string(took), false);
    top_member("errors", errors ? "true" : "false", false);
    top_member("items", "[" + out_items + "]", writer.written() > 0);
    out += '}';
    ApiResponse response{200, std::move(out)};
    response.filtered = true;
    return response;
}

ApiResponse DocumentService::index_doc(const std::string& index, const std::string& raw_id,
                                       const std::string& body, const Params& params, bool create) {
    const RefreshMode refresh = refresh_mode(params);
    bool as_create = create;
    if (auto op = param(params, "op_type")) {
        if (*op == "create") {
            as_create = true;
        } else if (*op != "index") {
            throw illegal_argument("opType must be 'create' or 'index', found: [" + *op + "]");
        }
    }
    const WriteConditions conditions =
        conditions_from(params, as_create ? WriteOp::kCreate : WriteOp::kIndex);
    check_id(raw_id);
    if (body.empty()) throw ApiError(400, "parse_exception", "request body is required");
    const bool require_alias = param(params, "require_alias").value_or("false") == "true";
    IndexPtr target = catalog_.resolve_for_write(index, require_alias);
    const std::string id = raw_id.empty() ? random_id() : raw_id;
    const SourceShape shape = inspect_source(body);
    WriteOutcome outcome = target->index(id, body, shape, conditions);
    if (!outcome.error) stats_.doc_written(target->name());
    if (!outcome.error && refresh != RefreshMode::kNone) target->refresh();
    return write_response(*target, id, outcome, refresh);
}

ApiResponse DocumentService::delete_doc(const std::string& index, const std::string& id,
                                        const Params& params) {
    const RefreshMode refresh = refresh_mode(params);
    const WriteConditions conditions = conditions_from(params, WriteOp::kDelete);
    IndexPtr target;
    if (auto existing = catalog_.find(index)) {
        target = existing;
    } else if (catalog_.is_alias(index)) {
        target = catalog_.resolve_for_write(index, false);
    } else {
        throw index_not_found(index);
    }
    WriteOutcome outcome = target->remove(id, conditions);
    if (!outcome.error && refresh != RefreshMode::kNone) target->refresh();
    return write_response(*target, id, outcome, refresh);
}

ApiResponse DocumentService::update_doc(const std::string& index, const std::string& id,
                                        const std::string& body, const Params& params) {
    const RefreshMode refresh = refresh_mode(params);
    Json request = Json::parse(body, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
        throw ApiError(400, "x_content_parse_exception", "[1:1] Failed to parse update request");
    }
    if (request.contains("script")) {
        throw illegal_argument("scripted updates are not supported by the Elasticsearch stand-in");
    }
    UpdateSpec spec;
    if (request.contains("doc")) spec.doc = request["doc"];
    if (request.contains("upsert")) spec.upsert = request["upsert"];
    spec.doc_as_upsert = request.value("doc_as_upsert", false);
    spec.detect_noop = request.value("detect_noop", true);
    spec.conditions.if_seq_no = int_param(params, "if_seq_no");
    spec.conditions.if_primary_term = int_param(params, "if_primary_term");
    IndexPtr target = catalog_.resolve_for_write(index, false);
    WriteOutcome outcome = target->update(id, spec);
    if (!outcome.error && refresh != RefreshMode::kNone) target->refresh();
    ApiResponse response = write_response(*target, id, outcome, refresh);
    if (!outcome.error && request.contains("_source") && outcome.doc) {
        Json out = Json::parse(response.body);
        Json get = Json::object();
        get["_seq_no"] = outcome.seq_no;
        get["_primary_term"] = outcome.primary_term;
        get["found"] = true;
        get["_source"] =
            SourceFilter::from_json(request["_source"]).apply(Json::parse(outcome.doc->source));
        out["get"] = get;
        response.body = out.dump();
    }
    return response;
}

ApiResponse DocumentService::get_doc(const std::string& index, const std::string& id,
                                     const Params& params, bool source_only) {
    ResolveOptions options;
    auto targets = catalog_.resolve(index, options);
    if (targets.size() != 1) {
        throw illegal_argument(fmt::format(
            "alias [{}] has more than one index associated with it [{}], can't execute a single "
            "index op",
            index, targets.size()));
    }
    const IndexPtr& target = targets.front();
    if (auto v = param(params, "refresh"); v && (*v == "true" || v->empty())) target->refresh();
    DocPtr doc = target->get(id);
    const SourceFilter filter =
        SourceFilter::from_params(param(params, "_source"), param(params, "_source_includes"),
                                  param(params, "_source_excludes"));
    if (source_only) {
        if (!doc) {
            throw ApiError(404, "resource_not_found_exception",
                           "Document not found [" + target->name() + "]/[" + id + "]");
        }
        return {200, filter.apply(Json::parse(doc->source)).dump()};
    }
    std::vector<std::string> stored;
    if (auto v = param(params, "stored_fields")) stored = split_csv(*v);
    Json out = get_json(*target, id, doc, filter, stored);
    return {doc ? 200 : 404, out.dump()};
}

ApiResponse DocumentService::mget(const std::string& index, const std::string& body,
                                  const Params& params) {
    Json request = Json::parse(body, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
        throw ApiError(400, "parse_exception", "request body is required");
    }
    std::vector<std::pair<std::string, std::string>> wanted;
    if (request.contains("docs")) {
        for (const auto& d : request["docs"]) {
            const std::string idx = d.contains("_index") ? d["_index"].get<std::string>() : index;
            if (idx.empty()) throw validation_failed("index is missing for doc 0");
            const Json& id = d["_id"];
            wanted.emplace_back(idx, id.is_string() ? id.get<std::string>() : id.dump());
        }
    } else if (request.contains("ids")) {
        if (index.empty()) throw validation_failed("index is missing for doc 0");
        for (const auto& id : request["ids"]) {
            wanted.emplace_back(index, id.is_string() ? id.get<std::string>() : id.dump());
        }
    } else {
        throw parsing_error("unknown parameter for mget, expected [docs] or [ids]");
    }
    const SourceFilter filter =
        SourceFilter::from_params(param(params, "_source"), param(params, "_source_includes"),
                                  param(params, "_source_excludes"));
    Json docs = Json::array();
    for (const auto& [idx, id] : wanted) {
        try {
            auto targets = catalog_.resolve(idx, ResolveOptions{});
            if (targets.empty()) throw index_not_found(idx);
            docs.push_back(get_json(*targets.front(), id, targets.front()->get(id), filter, {}));
        } catch (const ApiError& error) {
            Json failed = Json::object();
            failed["_index"] = idx;
            failed["_id"] = id;
            failed["error"] = error.cause();
            docs.push_back(failed);
        }
    }
    Json out = Json::object();
    out["docs"] = docs;
    return {200, out.dump()};
}

}  // namespace kt::tools::standin
