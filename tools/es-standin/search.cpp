#include "tools/es-standin/search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "tools/es-standin/names.hpp"

namespace kt::tools::standin {

namespace {

constexpr const char* kScrollPrefix = "c2Nyb2xs";
constexpr const char* kPitPrefix = "cGl0";

std::string new_context_id(const char* prefix) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{}{:016x}{:016x}", prefix, rng(), rng());
}

Json shards(size_t n) {
    Json out = Json::object();
    out["total"] = n;
    out["successful"] = n;
    out["skipped"] = 0;
    out["failed"] = 0;
    return out;
}

/// Mapping entry of a (dotted, possibly multi-field) path.
const Json* mapping_of(const Json& mappings, const std::string& field) {
    const Json* node = &mappings;
    size_t start = 0;
    const Json* found = nullptr;
    while (start <= field.size()) {
        const size_t dot = field.find('.', start);
        const std::string part =
            field.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        const Json* next = nullptr;
        if (node->contains("properties") && (*node)["properties"].contains(part)) {
            next = &(*node)["properties"][part];
        } else if (node->contains("fields") && (*node)["fields"].contains(part)) {
            next = &(*node)["fields"][part];
        }
        if (!next) return nullptr;
        node = next;
        found = next;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return found;
}

std::string type_of(const Json* mapping) {
    if (!mapping) return "";
    if (mapping->contains("type")) return (*mapping)["type"].get<std::string>();
    return "object";
}

std::string first_format(const Json* mapping) {
    if (!mapping || !mapping->contains("format")) return "";
    const std::string all = (*mapping)["format"].get<std::string>();
    return all.substr(0, all.find("||"));
}

Json date_key(const Json& value, const Json* mapping, const std::string& format, bool& ok) {
    ok = true;
    const bool nanos = type_of(mapping) == "date_nanos";
    if (value.is_number()) return value;
    if (!value.is_string()) return value;
    const std::string fmt_used = format.empty() ? first_format(mapping) : format;
    auto parsed = parse_date_nanos(value.get<std::string>(), fmt_used);
    if (!parsed) {
        ok = false;
        return Json();
    }
    return nanos ? *parsed : *parsed / 1'000'000;
}

int compare_keys(const Json& a, const Json& b) {
    if (a.is_null() || b.is_null()) return a.is_null() == b.is_null() ? 0 : (a.is_null() ? 1 : -1);
    if (a.is_number_integer() && b.is_number_integer()) {
        const auto x = a.get<int64_t>();
        const auto y = b.get<int64_t>();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a.is_number() && b.is_number()) {
        const auto x = a.get<double>();
        const auto y = b.get<double>();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a.is_boolean() && b.is_boolean()) return a.get<bool>() - b.get<bool>();
    const std::string s = a.is_string() ? a.get<std::string>() : a.dump();
    const std::string t = b.is_string() ? b.get<std::string>() : b.dump();
    return s < t ? -1 : (s > t ? 1 : 0);
}

int compare_hits(const std::vector<SortField>& sort, const std::vector<Json>& a,
                 const std::vector<Json>& b) {
    for (size_t i = 0; i < sort.size() && i < a.size() && i < b.size(); ++i) {
        int c = compare_keys(a[i], b[i]);
        if (c != 0) {
            if (sort[i].descending && !a[i].is_null() && !b[i].is_null()) c = -c;
            return c;
        }
    }
    return 0;
}

struct ParsedSearch {
    Json query;
    std::vector<SortField> sort;
    bool explicit_sort = false;
    int64_t from = 0;
    int64_t size = 10;
    Json search_after;
    Json track_total_hits;
    SourceFilter source;
    bool total_as_int = false;
    bool track_scores = false;
    bool seq_no_primary_term = false;
    bool version = false;
    std::optional<std::string> scroll;
    Json pit;
};

int64_t to_int(const std::string& text, const char* name) {
    try {
        size_t used = 0;
        const int64_t out = std::stoll(text, &used);
        if (used == text.size()) return out;
    } catch (const std::exception&) {
    }
    throw illegal_argument(
        fmt::format("Failed to parse int parameter [{}] with value [{}]", name, text));
}

ParsedSearch parse_search(const Json& body, const Params& params) {
    ParsedSearch out;
    out.track_total_hits = 10000;
    std::vector<std::string> validation;
    if (body.is_object()) {
        static const std::vector<std::string> kKnown = {"query",
                                                        "from",
                                                        "size",
                                                        "sort",
                                                        "search_after",
                                                        "track_total_hits",
                                                        "_source",
                                                        "pit",
                                                        "track_scores",
                                                        "timeout",
                                                        "seq_no_primary_term",
                                                        "version",
                                                        "stored_fields",
                                                        "terminate_after",
                                                        "aggs",
                                                        "aggregations",
                                                        "highlight",
                                                        "min_score",
                                                        "explain",
                                                        "post_filter",
                                                        "runtime_mappings",
                                                        "fields",
                                                        "docvalue_fields",
                                                        "collapse",
                                                        "indices_boost",
                                                        "profile",
                                                        "stats",
                                                        "slice"};
        for (const auto& [key, value] : body.items()) {
            if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
                Json extra = Json::object();
                extra["line"] = 1;
                extra["col"] = 1;
                throw ApiError(400, "parsing_exception",
                               "Unknown key for a START_OBJECT in [" + key + "].", extra);
            }
        }
        if (body.contains("query")) out.query = body["query"];
        if (body.contains("from")) out.from = body["from"].get<int64_t>();
        if (body.contains("size")) out.size = body["size"].get<int64_t>();
        if (body.contains("sort")) {
            out.sort = parse_sort(body["sort"]);
            out.explicit_sort = true;
        }
        if (body.contains("search_after")) out.search_after = body["search_after"];
        if (body.contains("track_total_hits")) out.track_total_hits = body["track_total_hits"];
        if (body.contains("_source")) out.source = SourceFilter::from_json(body["_source"]);
        if (body.contains("pit")) out.pit = body["pit"];
        out.track_scores = body.value("track_scores", false);
        out.seq_no_primary_term = body.value("seq_no_primary_term", false);
        out.version = body.value("version", false);
    }
    if (auto v = param(params, "from")) out.from = to_int(*v, "from");
    if (auto v = param(params, "size")) out.size = to_int(*v, "size");
    if (auto v = param(params, "sort")) {
        out.sort = parse_sort_param(*v);
        out.explicit_sort = true;
    }
    if (auto v = param(params, "track_total_hits")) {
        if (*v == "true" || *v == "false") {
            out.track_total_hits = *v == "true";
        } else {
            out.track_total_hits = to_int(*v, "track_total_hits");
        }
    }
    auto src = param(params, "_source");
    auto inc = param(params, "_source_includes");
    auto exc = param(params, "_source_excludes");
    if (src || inc || exc) out.source = SourceFilter::from_params(src, inc, exc);
    if (auto v = param(params, "rest_total_hits_as_int")) {
        out.total_as_int = parse_bool_param(*v, "rest_total_hits_as_int");
        if (out.total_as_int && !(body.is_object() && body.contains("track_total_hits"))) {
            out.track_total_hits = true;
        }
    }
    if (auto v = param(params, "seq_no_primary_term")) out.seq_no_primary_term = *v == "true";
    if (auto v = param(params, "version")) out.version = *v == "true";
    out.scroll = param(params, "scroll");
    if (out.scroll) {
        if (auto v = param(params, "request_cache"); v && *v == "true") {
            validation.emplace_back("[request_cache] cannot be used in a scroll context");
        }
        if (out.size == 0) validation.emplace_back("[size] cannot be [0] in a scroll context");
        if (!out.search_after.is_null()) {
            validation.emplace_back("[search_after] cannot be used in a scroll context");
        }
        if (!out.pit.is_null()) {
            validation.emplace_back("using [point in time] is not allowed in a scroll context");
        }
    }
    if (!out.search_after.is_null() && out.from > 0) {
        validation.emplace_back("[from] parameter must be set to 0 when [search_after] is used");
    }
    if (out.from < 0) validation.emplace_back("[from] parameter cannot be negative");
    if (out.size < 0) {
        throw illegal_argument(
            fmt::format("[size] parameter cannot be negative, found [{}]", out.size));
    }
    if (!validation.empty()) {
        std::string reason = "Validation Failed: ";
        for (size_t i = 0; i < validation.size(); ++i) {
            reason += fmt::format("{}: {};", i + 1, validation[i]);
        }
        throw ApiError(400, "action_request_validation_exception", reason);
    }
    validate_query(out.query);
    return out;
}

/// Runs the query over all targets and returns every match, sorted.
std::vector<Hit> run_query(const std::vector<SearchTarget>& targets, const ParsedSearch& request,
                           const std::vector<SortField>& sort) {
    // Validate sort fields against the mappings (text / _id / unmapped).
    for (const auto& s : sort) {
        if (s.field == "_doc" || s.field == "_score" || s.field == "_shard_doc") continue;
        if (s.field == "_id") {
            throw illegal_argument(
                "Fielddata access on the _id field is disallowed, you can re-enable it by "
                "updating the dynamic cluster setting: indices.id_field_data.enabled")
                .as_shard_failure(targets.empty() ? "" : targets.front().index);
        }
        for (const auto& target : targets) {
            const Json* mapping = mapping_of(target.mappings, s.field);
            if (type_of(mapping) == "text" && !mapping->value("fielddata", false)) {
                throw illegal_argument(
                    fmt::format(
                        "Fielddata is disabled on [{}] in [{}]. Text fields are not optimised for "
                        "operations that require per-document field data like aggregations and "
                        "sorting, so these operations are disabled by default. Please use a "
                        "keyword "
                        "field instead. Alternatively, set fielddata=true on [{}] in order to load "
                        "field data by uninverting the inverted index. Note that this can use "
                        "significant memory.",
                        s.field, target.index, s.field))
                    .as_shard_failure(target.index);
            }
            if (!mapping && !s.unmapped_type) {
                throw ApiError(400, "query_shard_exception",
                               "No mapping found for [" + s.field + "] in order to sort on")
                    .as_shard_failure(target.index);
            }
        }
    }
    const bool need_source = !request.query.is_null() && !request.query.contains("match_all");
    bool need_fields = false;
    for (const auto& s : sort) {
        need_fields =
            need_fields || (s.field != "_doc" && s.field != "_score" && s.field != "_shard_doc");
    }
    std::vector<Hit> hits;
    for (size_t t = 0; t < targets.size(); ++t) {
        const SearchTarget& target = targets[t];
        const Snapshot& docs = *target.docs;
        for (size_t pos = 0; pos < docs.size(); ++pos) {
            const DocPtr& doc = docs[pos];
            Json source;
            if (need_source || need_fields) source = Json::parse(doc->source, nullptr, false);
            if (need_source && !query_matches(request.query, source, doc->id, target.index)) {
                continue;
            }
            Hit hit;
            hit.target = &target;
            hit.doc = doc;
            for (const auto& s : sort) {
                const int64_t shard_doc = static_cast<int64_t>((t << 32) + pos);
                if (s.field == "_doc" || s.field == "_shard_doc") {
                    hit.sort.emplace_back(shard_doc);
                    hit.keys.emplace_back(shard_doc);
                    continue;
                }
                if (s.field == "_score") {
                    hit.sort.emplace_back(1.0);
                    hit.keys.emplace_back(1.0);
                    continue;
                }
                const Json* value = field_value(source, s.field);
                Json v = value ? *value : Json();
                if (v.is_array()) {
                    Json best;
                    for (const auto& item : v) {
                        if (best.is_null() || (compare_keys(item, best) < 0) != s.descending) {
                            best = item;
                        }
                    }
                    v = best;
                }
                const Json* mapping = mapping_of(target.mappings, s.field);
                const std::string type = type_of(mapping);
                if ((type == "date" || type == "date_nanos") && !v.is_null()) {
                    bool ok = true;
                    v = date_key(v, mapping, "", ok);
                }
                hit.sort.push_back(v);
                hit.keys.push_back(v);
            }
            hits.push_back(std::move(hit));
        }
    }
    if (!sort.empty()) {
        std::stable_sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
            return compare_hits(sort, a.keys, b.keys) < 0;
        });
    }
    return hits;
}

std::vector<Json> after_keys(const Json& after, const std::vector<SortField>& sort,
                             const std::vector<SearchTarget>& targets) {
    if (!after.is_array()) throw parsing_error("[search_after] must be an array");
    if (after.size() != sort.size()) {
        throw illegal_argument(fmt::format("search_after has {} value(s) but sort has {}.",
                                           after.size(), sort.size()));
    }
    std::vector<Json> out;
    for (size_t i = 0; i < sort.size(); ++i) {
        Json v = after[i];
        for (const auto& target : targets) {
            const Json* mapping = mapping_of(target.mappings, sort[i].field);
            const std::string type = type_of(mapping);
            if ((type == "date" || type == "date_nanos") && v.is_string()) {
                bool ok = true;
                Json key = date_key(v, mapping, sort[i].format, ok);
                if (!ok) {
                    throw ApiError(400, "parse_exception",
                                   fmt::format("failed to parse date field [{}] with format [{}]",
                                               v.get<std::string>(),
                                               sort[i].format.empty() ? first_format(mapping)
                                                                      : sort[i].format))
                        .as_shard_failure(target.index);
                }
                v = key;
                break;
            }
        }
        out.push_back(v);
    }
    return out;
}

Json render_hit(const Hit& hit, const SourceFilter& source, bool sorted, bool scores, bool seq_no,
                bool version) {
    Json out = Json::object();
    out["_index"] = hit.target->index;
    out["_id"] = hit.doc->id;
    if (version) out["_version"] = hit.doc->version;
    if (seq_no) {
        out["_seq_no"] = hit.doc->seq_no;
        out["_primary_term"] = hit.doc->primary_term;
    }
    out["_score"] = sorted && !scores ? Json() : Json(1.0);
    if (source.enabled) {
        Json parsed = Json::parse(hit.doc->source, nullptr, false);
        out["_source"] = source.apply(parsed);
    }
    if (sorted) out["sort"] = hit.sort;
    return out;
}

Json render_total(int64_t total, const Json& track, bool as_int) {
    if (as_int) return total;
    Json out = Json::object();
    if (track.is_number_integer() && total > track.get<int64_t>()) {
        out["value"] = track.get<int64_t>();
        out["relation"] = "gte";
    } else {
        out["value"] = total;
        out["relation"] = "eq";
    }
    return out;
}

}  // namespace

std::vector<SortField> parse_sort(const Json& sort) {
    std::vector<SortField> out;
    if (sort.is_array()) {
        for (const auto& item : sort) {
            auto part = parse_sort(item);
            out.insert(out.end(), part.begin(), part.end());
        }
        return out;
    }
    if (sort.is_string()) {
        SortField field;
        field.field = sort.get<std::string>();
        field.descending = field.field == "_score";
        out.push_back(field);
        return out;
    }
    if (sort.is_object()) {
        for (const auto& [name, spec] : sort.items()) {
            SortField field;
            field.field = name;
            field.descending = name == "_score";
            if (spec.is_string()) {
                field.descending = spec.get<std::string>() == "desc";
            } else if (spec.is_object()) {
                if (spec.contains("order")) field.descending = spec["order"] == "desc";
                if (spec.contains("format")) field.format = spec["format"].get<std::string>();
                if (spec.contains("unmapped_type")) {
                    field.unmapped_type = spec["unmapped_type"].get<std::string>();
                }
            }
            out.push_back(field);
        }
        return out;
    }
    throw parsing_error(
        "malformed sort format, within the sort array, an object, or an actual "
        "string are allowed");
}

std::vector<SortField> parse_sort_param(const std::string& text) {
    std::vector<SortField> out;
    for (const auto& part : split_csv(text)) {
        SortField field;
        const size_t colon = part.rfind(':');
        field.field = part.substr(0, colon);
        field.descending =
            colon != std::string::npos ? part.substr(colon + 1) == "desc" : field.field == "_score";
        out.push_back(field);
    }
    return out;
}

void check_result_window(int64_t from, int64_t size, int64_t window, const std::string& index) {
    if (from + size > window) {
        throw illegal_argument(
            fmt::format("Result window is too large, from + size must be less than or equal to: "
                        "[{}] but was [{}]. See the scroll api for a more efficient way to request "
                        "large data sets. This limit can be set by changing the "
                        "[index.max_result_window] index level setting.",
                        window, from + size))
            .as_shard_failure(index);
    }
}

SearchService::SearchService(Catalog& catalog, Clock clock)
    : catalog_(catalog), clock_(std::move(clock)) {}

std::vector<SearchTarget> SearchService::targets_for(const std::string& index,
                                                     const Params& params) const {
    ResolveOptions options;
    if (auto v = param(params, "ignore_unavailable")) {
        options.ignore_unavailable = parse_bool_param(*v, "ignore_unavailable");
    }
    if (auto v = param(params, "allow_no_indices")) {
        options.allow_no_indices = parse_bool_param(*v, "allow_no_indices");
    }
    std::vector<SearchTarget> out;
    for (const auto& store : catalog_.resolve(index, options)) {
        out.push_back(SearchTarget{store->name(), store->searchable(), store->mappings(),
                                   store->max_result_window()});
    }
    return out;
}

void SearchService::expire_contexts() {
    const auto now = clock_();
    for (auto it = pits_.begin(); it != pits_.end();) {
        it = it->second->expires <= now ? pits_.erase(it) : std::next(it);
    }
    for (auto it = scrolls_.begin(); it != scrolls_.end();) {
        it = it->second->expires <= now ? scrolls_.erase(it) : std::next(it);
    }
}

namespace {

ApiError context_missing(const std::string& id) {
    ApiError inner(404, "search_context_missing_exception",
                   "No search context found for id [" + id + "]");
    return inner.as_shard_failure("");
}

}  // namespace

Json SearchService::search(const std::string& index, const Json& body, const Params& params) {
    const auto started = std::chrono::steady_clock::now();
    ParsedSearch request = parse_search(body, params);
    std::vector<SearchTarget> targets;
    std::shared_ptr<PitContext> pit;
    std::string pit_id;
    if (!request.pit.is_null()) {
        if (!index.empty()) {
            throw validation_failed(
                "[indices] cannot be used with point in time. Do not specify any index with "
                "point in time.");
        }
        pit_id = request.pit.value("id", "");
        std::lock_guard lock(mutex_);
        expire_contexts();
        auto it = pits_.find(pit_id);
        if (it == pits_.end()) throw context_missing(pit_id);
        pit = it->second;
        if (request.pit.contains("keep_alive")) {
            pit->expires = clock_() + parse_time_value(request.pit["keep_alive"].get<std::string>(),
                                                       "keep_alive");
        }
        targets = pit->targets;
    } else {
        targets = targets_for(index, params);
    }
    std::vector<SortField> sort = request.sort;
    const bool sorted =
        request.explicit_sort && !(sort.size() == 1 && sort.front().field == "_score");
    if (pit && request.explicit_sort) {
        const bool has_tiebreak = std::any_of(
            sort.begin(), sort.end(), [](const SortField& s) { return s.field == "_shard_doc"; });
        if (!has_tiebreak &&
            (request.search_after.is_null() || request.search_after.size() == sort.size() + 1)) {
            sort.push_back(SortField{"_shard_doc", false, "", std::nullopt});
        }
    }
    for (const auto& target : targets) {
        if (request.scroll) {
            if (request.size > target.max_result_window) {
                throw illegal_argument(
                    fmt::format("Batch size is too large, size must be less than or equal to: "
                                "[{}] but was [{}]. Scroll batch sizes cost as much memory as "
                                "result windows so they are controlled by the "
                                "[index.max_result_window] index level setting.",
                                target.max_result_window, request.size))
                    .as_shard_failure(target.index);
            }
        } else {
            check_result_window(request.from, request.size, target.max_result_window, target.index);
        }
    }
    std::vector<Hit> hits = run_query(targets, request, sort);
    const auto total = static_cast<int64_t>(hits.size());
    if (!request.search_after.is_null()) {
        const auto after = after_keys(request.search_after, sort, targets);
        hits.erase(
            std::remove_if(hits.begin(), hits.end(),
                           [&](const Hit& h) { return compare_hits(sort, h.keys, after) <= 0; }),
            hits.end());
    }
    Json out = Json::object();
    std::string scroll_id;
    size_t begin =
        static_cast<size_t>(std::min<int64_t>(request.from, static_cast<int64_t>(hits.size())));
    size_t end = std::min(hits.size(), begin + static_cast<size_t>(request.size));
    if (request.scroll) {
        auto context = std::make_shared<ScrollContext>();
        context->targets = targets;
        context->page = static_cast<size_t>(request.size);
        context->total = total;
        context->sorted = sorted;
        context->source = request.source;
        context->position = end;
        context->expires = clock_() + parse_time_value(*request.scroll, "scroll");
        scroll_id = new_context_id(kScrollPrefix);
        out["_scroll_id"] = scroll_id;
        // Hits keep pointers into the context's own copy of the targets.
        for (auto& hit : hits) {
            const auto offset = hit.target - targets.data();
            hit.target = &context->targets[static_cast<size_t>(offset)];
        }
        context->hits = hits;
        std::lock_guard lock(mutex_);
        expire_contexts();
        scrolls_[scroll_id] = context;
    }
    if (pit) out["pit_id"] = pit_id;
    out["took"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
    out["timed_out"] = false;
    out["_shards"] = shards(targets.size());
    Json hits_json = Json::object();
    if (!(request.track_total_hits.is_boolean() && !request.track_total_hits.get<bool>())) {
        hits_json["total"] = render_total(total, request.track_total_hits, request.total_as_int);
    }
    hits_json["max_score"] = (sorted && !request.track_scores) || hits.empty() ? Json() : Json(1.0);
    Json list = Json::array();
    for (size_t i = begin; i < end; ++i) {
        list.push_back(render_hit(hits[i], request.source, sorted, request.track_scores,
                                  request.seq_no_primary_term, request.version));
    }
    hits_json["hits"] = std::move(list);
    out["hits"] = std::move(hits_json);
    return out;
}

Json SearchService::count(const std::string& index, const Json& body, const Params& params) {
    if (auto v = param(params, "terminate_after"); v && to_int(*v, "terminate_after") < 0) {
        throw illegal_argument("terminateAfter must be > 0");
    }
    Json query;
    if (body.is_object()) {
        for (const auto& [key, value] : body.items()) {
            if (key != "query") {
                Json extra = Json::object();
                extra["line"] = 1;
                extra["col"] = 1;
                throw ApiError(400, "parsing_exception", "request does not support [" + key + "]",
                               extra);
            }
        }
        if (body.contains("query")) query = body["query"];
    }
    validate_query(query);
    const auto targets = targets_for(index, params);
    ParsedSearch request;
    request.query = query;
    const auto hits = run_query(targets, request, {});
    Json out = Json::object();
    out["count"] = hits.size();
    out["_shards"] = shards(targets.size());
    return out;
}

Json SearchService::scroll(const std::string& id, const std::optional<std::string>& keep_alive,
                           const Params& params) {
    if (id.rfind(kScrollPrefix, 0) != 0) throw illegal_argument("Cannot parse scroll id");
    std::shared_ptr<ScrollContext> context;
    {
        std::lock_guard lock(mutex_);
        expire_contexts();
        auto it = scrolls_.find(id);
        if (it == scrolls_.end()) throw context_missing(id);
        context = it->second;
        if (keep_alive) context->expires = clock_() + parse_time_value(*keep_alive, "scroll");
    }
    bool as_int = false;
    if (auto v = param(params, "rest_total_hits_as_int")) as_int = *v == "true";
    const size_t begin = std::min(context->position, context->hits.size());
    const size_t end = std::min(context->hits.size(), begin + context->page);
    context->position = end;
    Json out = Json::object();
    out["_scroll_id"] = id;
    out["took"] = 0;
    out["timed_out"] = false;
    out["_shards"] = shards(context->targets.size());
    Json hits = Json::object();
    hits["total"] = render_total(context->total, true, as_int);
    hits["max_score"] = context->sorted || context->hits.empty() ? Json() : Json(1.0);
    Json list = Json::array();
    for (size_t i = begin; i < end; ++i) {
        list.push_back(
            render_hit(context->hits[i], context->source, context->sorted, false, false, false));
    }
    hits["hits"] = std::move(list);
    out["hits"] = std::move(hits);
    return out;
}

std::pair<int, Json> SearchService::clear_scroll(const std::vector<std::string>& ids) {
    std::lock_guard lock(mutex_);
    expire_contexts();
    size_t freed = 0;
    for (const auto& id : ids) {
        if (id == "_all") {
            freed += scrolls_.size();
            scrolls_.clear();
            continue;
        }
        if (id.rfind(kScrollPrefix, 0) != 0) throw illegal_argument("Cannot parse scroll id");
        freed += scrolls_.erase(id);
    }
    Json out = Json::object();
    out["succeeded"] = true;
    out["num_freed"] = freed;
    return {freed == 0 && !ids.empty() ? 404 : 200, out};
}

Json SearchService::open_pit(const std::string& index, const Params& params) {
    auto keep_alive = param(params, "keep_alive");
    if (!keep_alive) throw validation_failed("[keep_alive] is not specified");
    auto context = std::make_shared<PitContext>();
    context->targets = targets_for(index, params);
    context->expires = clock_() + parse_time_value(*keep_alive, "keep_alive");
    const std::string id = new_context_id(kPitPrefix);
    {
        std::lock_guard lock(mutex_);
        expire_contexts();
        pits_[id] = context;
    }
    Json out = Json::object();
    out["id"] = id;
    out["_shards"] = shards(context->targets.size());
    return out;
}

std::pair<int, Json> SearchService::close_pit(const std::string& id) {
    std::lock_guard lock(mutex_);
    expire_contexts();
    const size_t freed = pits_.erase(id);
    Json out = Json::object();
    out["succeeded"] = true;
    out["num_freed"] = freed;
    return {freed == 0 ? 404 : 200, out};
}

Json SearchService::msearch(const std::string& index, const std::string& body,
                            const Params& params) {
    std::vector<std::pair<Json, Json>> requests;
    size_t start = 0;
    std::vector<std::string> lines;
    while (start < body.size()) {
        size_t end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        std::string line = body.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) lines.push_back(line);
        start = end + 1;
    }
    if (lines.size() % 2 != 0)
        throw illegal_argument("The msearch request must be terminated by a newline [\n]");
    for (size_t i = 0; i + 1 < lines.size(); i += 2) {
        Json header = Json::parse(lines[i], nullptr, false);
        Json search = Json::parse(lines[i + 1], nullptr, false);
        if (header.is_discarded() || search.is_discarded()) {
            throw ApiError(400, "x_content_parse_exception", "failed to parse msearch line");
        }
        const bool has_index = header.is_object() && header.contains("index");
        if (search.is_object() && search.contains("pit") && (has_index || !index.empty())) {
            throw validation_failed(
                "[indices] cannot be used with point in time. Do not specify any index with "
                "point in time.");
        }
        requests.emplace_back(header, search);
    }
    Json out = Json::object();
    out["took"] = 0;
    Json responses = Json::array();
    for (const auto& [header, search_body] : requests) {
        std::string target = index;
        if (header.is_object() && header.contains("index")) {
            const Json& i = header["index"];
            if (i.is_array()) {
                target.clear();
                for (const auto& part : i)
                    target += (target.empty() ? "" : ",") + part.get<std::string>();
            } else {
                target = i.get<std::string>();
            }
        }
        Params sub;
        if (auto v = param(params, "rest_total_hits_as_int")) sub["rest_total_hits_as_int"] = *v;
        try {
            Json result = search(target, search_body, sub);
            result["status"] = 200;
            responses.push_back(result);
        } catch (const ApiError& error) {
            Json failed = Json::object();
            failed["error"] = error.body()["error"];
            failed["status"] = error.status();
            responses.push_back(failed);
        }
    }
    out["responses"] = std::move(responses);
    return out;
}

}  // namespace kt::tools::standin
