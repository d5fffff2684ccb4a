#include "tools/es-standin/router.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "tools/es-standin/names.hpp"
#include "tools/es-standin/response_filter.hpp"
#include "tools/es-standin/settings.hpp"

namespace kt::tools::standin {

namespace {

Json parse_body(const std::string& body) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Json();
    Json out = Json::parse(body, nullptr, false);
    if (out.is_discarded()) {
        throw ApiError(400, "x_content_parse_exception",
                       "[1:1] Unexpected character: request body is not valid JSON");
    }
    return out;
}

ApiResponse json_response(int status, const Json& body) {
    return {status, body.dump()};
}

ApiResponse acknowledged() {
    Json out = Json::object();
    out["acknowledged"] = true;
    return json_response(200, out);
}

bool flag(const Params& params, const char* name, bool fallback) {
    auto v = param(params, name);
    return v ? parse_bool_param(*v, name) : fallback;
}

ResolveOptions options_from(const Params& params) {
    ResolveOptions out;
    out.ignore_unavailable = flag(params, "ignore_unavailable", false);
    out.allow_no_indices = flag(params, "allow_no_indices", true);
    return out;
}

ApiError no_handler(const ApiRequest& request) {
    std::string path;
    for (const auto& s : request.segments) path += "/" + s;
    return ApiError(400, "illegal_argument_exception",
                    fmt::format("no handler found for uri [{}] and method [{}]",
                                path.empty() ? "/" : path, request.method));
}

}  // namespace

Router::Router(Clock clock)
    : clock_(std::move(clock)),
      catalog_(clock_),
      documents_(catalog_, faults_, stats_),
      search_(catalog_, clock_) {}

ApiResponse Router::handle(const ApiRequest& request) {
    ApiResponse response = answer(request);
    // Like Elasticsearch, `filter_path` shapes every JSON answer, errors included.
    const auto filter = ResponseFilter::from_params(request.params);
    if (filter && !response.filtered && !response.body.empty() &&
        response.content_type == "application/json") {
        response.body = filter->apply(response.body);
    }
    return response;
}

ApiResponse Router::answer(const ApiRequest& request) {
    try {
        return route(request);
    } catch (const ApiError& error) {
        return {error.status(), error.body().dump()};
    } catch (const nlohmann::json::exception& error) {
        const ApiError wrapped(400, "x_content_parse_exception",
                               std::string("failed to parse request: ") + error.what());
        return {400, wrapped.body().dump()};
    } catch (const std::exception& error) {
        const ApiError wrapped(500, "exception", error.what());
        return {500, wrapped.body().dump()};
    }
}

ApiResponse Router::route(const ApiRequest& r) {
    const auto& s = r.segments;
    const std::string& m = r.method;
    const bool read = m == "GET" || m == "HEAD";
    const bool write = m == "POST" || m == "PUT";
    if (s.empty()) {
        if (!read) throw no_handler(r);
        Json out = Json::object();
        out["name"] = "kt-es-standin";
        out["cluster_name"] = "kt-es-standin";
        out["cluster_uuid"] = "kt-es-standin-not-elasticsearch";
        Json version = Json::object();
        version["number"] = kEsVersion;
        version["build_flavor"] = "default";
        version["build_type"] = "standin";
        version["build_hash"] = "standin";
        version["build_date"] = "2024-08-05T10:05:34.233336849Z";
        version["build_snapshot"] = false;
        version["lucene_version"] = "9.11.1";
        version["minimum_wire_compatibility_version"] = "7.17.0";
        version["minimum_index_compatibility_version"] = "7.0.0";
        out["version"] = version;
        out["tagline"] = "You Know, for Search";
        return json_response(200, out);
    }
    const std::string& head = s[0];
    if (head == "_standin") {
        if (s.size() == 2 && s[1] == "faults") {
            if (m == "PUT" || m == "POST") {
                faults_.configure(FaultConfig::from_json(parse_body(r.body)));
                return json_response(200, faults_.config().to_json());
            }
            if (m == "DELETE") {
                faults_.configure(FaultConfig{});
                return acknowledged();
            }
            if (read) return json_response(200, faults_.config().to_json());
        }
        if (s.size() == 2 && s[1] == "stats" && read) return json_response(200, stats_.to_json());
        throw no_handler(r);
    }
    if (head == "_cluster" && s.size() >= 2 && s[1] == "health" && read) {
        int primaries = 0;
        int unassigned = 0;
        for (const auto& name : catalog_.index_names()) {
            if (auto index = catalog_.find(name)) {
                ++primaries;
                unassigned += index->replicas();
            }
        }
        Json out = Json::object();
        out["cluster_name"] = "kt-es-standin";
        out["status"] = unassigned > 0 ? "yellow" : "green";
        out["timed_out"] = false;
        out["number_of_nodes"] = 1;
        out["number_of_data_nodes"] = 1;
        out["active_primary_shards"] = primaries;
        out["active_shards"] = primaries;
        out["relocating_shards"] = 0;
        out["initializing_shards"] = 0;
        out["unassigned_shards"] = unassigned;
        out["unassigned_primary_shards"] = 0;
        out["delayed_unassigned_shards"] = 0;
        out["number_of_pending_tasks"] = 0;
        out["number_of_in_flight_fetch"] = 0;
        out["task_max_waiting_in_queue_millis"] = 0;
        out["active_shards_percent_as_number"] =
            primaries + unassigned == 0 ? 100.0 : 100.0 * primaries / (primaries + unassigned);
        return json_response(200, out);
    }
    if (head == "_bulk" && write) return documents_.bulk("", r.body, r.params);
    if (head == "_refresh" && (write || read)) return refresh("", r.params);
    if (head == "_aliases" && s.size() == 1 && m == "POST") {
        const auto actions = parse_alias_actions(parse_body(r.body));
        Json out = catalog_.update_aliases(actions);
        return json_response(200, out);
    }
    if ((head == "_alias" || head == "_aliases") && read) {
        return get_aliases("", s.size() > 1 ? s[1] : "", r.params, m == "HEAD");
    }
    if (head == "_cat" && s.size() >= 2 && s[1] == "indices" && read) {
        return cat_indices(s.size() > 2 ? s[2] : "", r.params);
    }
    if (head == "_search") {
        if (s.size() == 1 && (read || m == "POST")) {
            return json_response(200, search_.search("", parse_body(r.body), r.params));
        }
        if (s.size() >= 2 && s[1] == "scroll") {
            const Json body = parse_body(r.body);
            if (m == "DELETE") {
                std::vector<std::string> ids;
                if (body.is_object() && body.contains("scroll_id")) {
                    const Json& v = body["scroll_id"];
                    if (v.is_array()) {
                        for (const auto& id : v) ids.push_back(id.get<std::string>());
                    } else {
                        ids = split_csv(v.get<std::string>());
                    }
                } else if (s.size() > 2) {
                    ids = split_csv(s[2]);
                } else if (auto v = param(r.params, "scroll_id")) {
                    ids = split_csv(*v);
                }
                auto [status, out] = search_.clear_scroll(ids);
                return json_response(status, out);
            }
            std::string id = s.size() > 2 ? s[2] : param(r.params, "scroll_id").value_or("");
            std::optional<std::string> keep_alive = param(r.params, "scroll");
            if (body.is_object()) {
                if (body.contains("scroll_id")) id = body["scroll_id"].get<std::string>();
                if (body.contains("scroll")) keep_alive = body["scroll"].get<std::string>();
            }
            return json_response(200, search_.scroll(id, keep_alive, r.params));
        }
    }
    if (head == "_count" && (read || m == "POST")) {
        return json_response(200, search_.count("", parse_body(r.body), r.params));
    }
    if (head == "_msearch" && (read || m == "POST")) {
        return json_response(200, search_.msearch("", r.body, r.params));
    }
    if (head == "_mget" && (read || m == "POST")) return documents_.mget("", r.body, r.params);
    if (head == "_pit" && m == "DELETE") {
        const Json body = parse_body(r.body);
        if (!body.is_object() || !body.contains("id")) throw validation_failed("id is missing");
        auto [status, out] = search_.close_pit(body["id"].get<std::string>());
        return json_response(status, out);
    }
    if (head == "_stats" && read) return stats_api("");
    if ((head == "_mapping" || head == "_settings") && read) {
        ApiRequest copy = r;
        copy.segments.insert(copy.segments.begin(), "_all");
        return route(copy);
    }
    return index_admin(r);
}

ApiResponse Router::refresh(const std::string& index, const Params& params) {
    ResolveOptions options = options_from(params);
    const auto targets = catalog_.resolve(index, options);
    for (const auto& target : targets) target->refresh();
    Json shards = Json::object();
    shards["total"] = targets.size();
    shards["successful"] = targets.size();
    shards["failed"] = 0;
    Json out = Json::object();
    out["_shards"] = shards;
    return json_response(200, out);
}

ApiResponse Router::index_admin(const ApiRequest& r) {
    const auto& s = r.segments;
    const std::string& m = r.method;
    const std::string& index = s[0];
    const bool read = m == "GET" || m == "HEAD";
    if (s.size() == 1) {
        if (m == "PUT") {
            const Json body = parse_body(r.body);
            IndexPtr created = catalog_.create_index(index, body);
            Json out = Json::object();
            out["acknowledged"] = true;
            out["shards_acknowledged"] = true;
            out["index"] = created->name();
            return json_response(200, out);
        }
        if (m == "DELETE") {
            ResolveOptions options = options_from(r.params);
            catalog_.delete_indices(index, options);
            return acknowledged();
        }
        if (read) return get_indices(index, r.params, m == "HEAD");
        throw no_handler(r);
    }
    const std::string& api = s[1];
    if ((api == "_doc" || api == "_create") && s.size() == 3) {
        if (m == "PUT" || m == "POST") {
            return documents_.index_doc(index, s[2], r.body, r.params, api == "_create");
        }
        if (api == "_doc" && read) {
            ApiResponse out = documents_.get_doc(index, s[2], r.params, false);
            if (m == "HEAD") out.body.clear();
            return out;
        }
        if (api == "_doc" && m == "DELETE") return documents_.delete_doc(index, s[2], r.params);
    }
    if (api == "_doc" && s.size() == 2 && m == "POST") {
        return documents_.index_doc(index, "", r.body, r.params, false);
    }
    if (api == "_update" && s.size() == 3 && m == "POST") {
        return documents_.update_doc(index, s[2], r.body, r.params);
    }
    if (api == "_source" && s.size() == 3 && read) {
        ApiResponse out = documents_.get_doc(index, s[2], r.params, true);
        if (m == "HEAD") out.body.clear();
        return out;
    }
    if (api == "_bulk" && (m == "POST" || m == "PUT"))
        return documents_.bulk(index, r.body, r.params);
    if (api == "_search" && (read || m == "POST")) {
        return json_response(200, search_.search(index, parse_body(r.body), r.params));
    }
    if (api == "_count" && (read || m == "POST")) {
        return json_response(200, search_.count(index, parse_body(r.body), r.params));
    }
    if (api == "_msearch" && (read || m == "POST")) {
        return json_response(200, search_.msearch(index, r.body, r.params));
    }
    if (api == "_mget" && (read || m == "POST")) return documents_.mget(index, r.body, r.params);
    if (api == "_pit" && m == "POST") return json_response(200, search_.open_pit(index, r.params));
    if (api == "_refresh" && (read || m == "POST")) return refresh(index, r.params);
    if (api == "_alias" || api == "_aliases") return alias_api(r);
    if (api == "_settings") return settings_api(r, index);
    if (api == "_stats" && read) return stats_api(index);
    if (api == "_mapping") {
        ResolveOptions options = options_from(r.params);
        options.include_closed = true;
        const auto targets = catalog_.resolve(index, options);
        if (m == "PUT" || m == "POST") {
            const Json body = parse_body(r.body);
            for (const auto& target : targets) target->put_mappings(body);
            return acknowledged();
        }
        Json out = Json::object();
        for (const auto& target : targets) {
            out[target->name()]["mappings"] = target->mappings();
        }
        return json_response(200, out);
    }
    if ((api == "_close" || api == "_open") && m == "POST") {
        ResolveOptions options = options_from(r.params);
        options.include_closed = true;
        Json indices = Json::object();
        for (const auto& target : catalog_.resolve(index, options)) {
            target->set_closed(api == "_close");
            if (api == "_close") indices[target->name()]["closed"] = true;
        }
        Json out = Json::object();
        out["acknowledged"] = true;
        out["shards_acknowledged"] = true;
        if (api == "_close") out["indices"] = indices;
        return json_response(200, out);
    }
    throw no_handler(r);
}

ApiResponse Router::alias_api(const ApiRequest& r) {
    const auto& s = r.segments;
    const std::string& m = r.method;
    if (m == "GET" || m == "HEAD") {
        return get_aliases(s[0], s.size() > 2 ? s[2] : "", r.params, m == "HEAD");
    }
    if (s.size() < 3) throw no_handler(r);
    std::vector<AliasAction> actions(1);
    AliasAction& action = actions.front();
    action.indices = split_csv(s[0]);
    action.aliases = split_csv(s[2]);
    if (m == "PUT" || m == "POST") {
        action.type = AliasAction::Type::kAdd;
        action.props = AliasProps::from_json(parse_body(r.body));
    } else if (m == "DELETE") {
        action.type = AliasAction::Type::kRemove;
        action.must_exist = true;
    } else {
        throw no_handler(r);
    }
    catalog_.update_aliases(actions);
    return acknowledged();
}

ApiResponse Router::get_aliases(const std::string& index, const std::string& name,
                                const Params& params, bool head) {
    ResolveOptions options = options_from(params);
    options.include_closed = param(params, "expand_wildcards").value_or("all") != "open";
    std::vector<IndexPtr> targets = catalog_.resolve(index, options);
    const AliasTable table = catalog_.aliases();
    const auto patterns = split_csv(name);
    const bool all_names =
        patterns.empty() || std::any_of(patterns.begin(), patterns.end(),
                                        [](const std::string& p) { return p == "_all"; });
    std::set<std::string> found;
    Json out = Json::object();
    for (const auto& target : targets) {
        Json aliases = Json::object();
        auto it = table.find(target->name());
        if (it != table.end()) {
            for (const auto& [alias, props] : it->second) {
                const bool wanted =
                    all_names || std::any_of(patterns.begin(), patterns.end(),
                                             [&alias = alias](const std::string& p) {
                                                 return wildcard_match(p, alias);
                                             });
                if (!wanted) continue;
                aliases[alias] = props.to_json();
                found.insert(alias);
            }
        }
        if (!patterns.empty() && aliases.empty()) continue;
        out[target->name()]["aliases"] = aliases;
    }
    std::vector<std::string> missing;
    for (const auto& p : patterns) {
        if (p != "_all" && !has_wildcard(p) && !found.count(p)) missing.push_back(p);
    }
    if (head) return {missing.empty() && !found.empty() ? 200 : (patterns.empty() ? 200 : 404), ""};
    if (!missing.empty()) {
        std::sort(missing.begin(), missing.end());
        Json error = Json::object();
        error["error"] = fmt::format("alias{} [{}] missing", missing.size() > 1 ? "es" : "",
                                     fmt::join(missing, ","));
        error["status"] = 404;
        for (const auto& [k, v] : out.items()) error[k] = v;
        return json_response(404, error);
    }
    return json_response(200, out);
}

ApiResponse Router::get_indices(const std::string& index, const Params& params, bool head) {
    ResolveOptions options = options_from(params);
    options.include_closed = true;
    if (head) {
        try {
            const auto targets = catalog_.resolve(index, options);
            return {targets.empty() && !has_wildcard(index) ? 404 : 200, ""};
        } catch (const ApiError& error) {
            return {error.status(), ""};
        }
    }
    const auto targets = catalog_.resolve(index, options);
    const AliasTable table = catalog_.aliases();
    const bool flat = flag(params, "flat_settings", false);
    Json out = Json::object();
    for (const auto& target : targets) {
        Json entry = Json::object();
        Json aliases = Json::object();
        if (auto it = table.find(target->name()); it != table.end()) {
            for (const auto& [alias, props] : it->second) aliases[alias] = props.to_json();
        }
        entry["aliases"] = aliases;
        entry["mappings"] = target->mappings();
        entry["settings"] = render_settings(target->settings(), flat);
        out[target->name()] = entry;
    }
    return json_response(200, out);
}

ApiResponse Router::settings_api(const ApiRequest& r, const std::string& index) {
    ResolveOptions options = options_from(r.params);
    options.include_closed = true;
    const auto targets = catalog_.resolve(index, options);
    if (r.method == "PUT") {
        Json body = parse_body(r.body);
        if (body.is_object() && body.size() == 1 && body.contains("settings")) {
            body = body["settings"];
        }
        const FlatSettings update = flatten_settings(body);
        for (const auto& [key, value] : update) {
            if (key == "index.refresh_interval" && value.is_string()) {
                parse_time_value(value.get<std::string>(), key);
            }
        }
        for (const auto& target : targets) target->put_settings(update);
        return acknowledged();
    }
    if (r.method != "GET") throw no_handler(r);
    const bool flat = flag(r.params, "flat_settings", false);
    const auto names =
        r.segments.size() > 2 ? split_csv(r.segments[2]) : std::vector<std::string>{};
    Json out = Json::object();
    for (const auto& target : targets) {
        FlatSettings settings = target->settings();
        if (!names.empty()) {
            FlatSettings picked;
            for (const auto& [key, value] : settings) {
                for (const auto& n : names) {
                    if (wildcard_match(n, key) || wildcard_match("index." + n, key))
                        picked[key] = value;
                }
            }
            settings = std::move(picked);
            if (settings.empty()) continue;
        }
        out[target->name()]["settings"] = render_settings(settings, flat);
    }
    return json_response(200, out);
}

ApiResponse Router::stats_api(const std::string& index) {
    ResolveOptions options;
    const auto targets = catalog_.resolve(index, options);
    auto section = [](size_t docs, const IndexCounters& c) {
        Json out = Json::object();
        out["docs"] = Json{{"count", docs}, {"deleted", 0}};
        Json indexing = Json::object();
        indexing["index_total"] = c.index_total;
        indexing["index_current"] = 0;
        indexing["index_failed"] = 0;
        indexing["delete_total"] = c.delete_total;
        indexing["delete_current"] = 0;
        indexing["noop_update_total"] = c.noop_update_total;
        out["indexing"] = indexing;
        return out;
    };
    size_t all_docs = 0;
    IndexCounters all;
    Json indices = Json::object();
    for (const auto& target : targets) {
        const size_t docs = target->searchable()->size();
        const IndexCounters c = target->counters();
        all_docs += docs;
        all.index_total += c.index_total;
        all.delete_total += c.delete_total;
        all.noop_update_total += c.noop_update_total;
        Json entry = Json::object();
        entry["uuid"] = target->uuid();
        entry["health"] = target->replicas() > 0 ? "yellow" : "green";
        entry["status"] = target->closed() ? "close" : "open";
        entry["primaries"] = section(docs, c);
        entry["total"] = section(docs, c);
        indices[target->name()] = entry;
    }
    Json out = Json::object();
    out["_shards"] = Json{{"total", targets.size()}, {"successful", targets.size()}, {"failed", 0}};
    out["_all"] = Json{{"primaries", section(all_docs, all)}, {"total", section(all_docs, all)}};
    out["indices"] = indices;
    return json_response(200, out);
}

ApiResponse Router::cat_indices(const std::string& index, const Params& params) {
    ResolveOptions options;
    options.include_closed = true;
    const auto targets = catalog_.resolve(index, options);
    Json rows = Json::array();
    for (const auto& target : targets) {
        Json row = Json::object();
        row["health"] = target->replicas() > 0 ? "yellow" : "green";
        row["status"] = target->closed() ? "close" : "open";
        row["index"] = target->name();
        row["uuid"] = target->uuid();
        row["pri"] = "1";
        row["rep"] = std::to_string(target->replicas());
        row["docs.count"] = std::to_string(target->searchable()->size());
        row["docs.deleted"] = "0";
        size_t bytes = 0;
        for (const auto& doc : *target->searchable()) bytes += doc->source.size();
        row["store.size"] = fmt::format("{}b", bytes);
        row["pri.store.size"] = fmt::format("{}b", bytes);
        row["dataset.size"] = fmt::format("{}b", bytes);
        rows.push_back(row);
    }
    if (param(params, "format").value_or("") == "json") return json_response(200, rows);
    std::string text;
    if (flag(params, "v", false)) {
        text +=
            "health status index uuid pri rep docs.count docs.deleted store.size "
            "pri.store.size dataset.size\n";
    }
    for (const auto& row : rows) {
        std::string line;
        for (const auto& [key, value] : row.items()) {
            line += (line.empty() ? "" : " ") + value.get<std::string>();
        }
        text += line + "\n";
    }
    return {200, text, "text/plain; charset=UTF-8"};
}

}  // namespace kt::tools::standin
