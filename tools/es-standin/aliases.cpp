#include "tools/es-standin/aliases.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "tools/es-standin/names.hpp"

namespace kt::tools::standin {

namespace {

std::optional<bool> read_bool(const Json& value) {
    if (value.is_boolean()) return value.get<bool>();
    if (value.is_string()) return parse_bool_param(value.get<std::string>(), "is_write_index");
    return std::nullopt;
}

std::vector<std::string> read_names(const Json& action, const char* single, const char* plural) {
    std::vector<std::string> out;
    auto add = [&](const Json& v) {
        if (v.is_string()) {
            for (auto& part : split_csv(v.get<std::string>())) out.push_back(part);
        } else if (v.is_array()) {
            for (const auto& item : v) {
                if (item.is_string()) out.push_back(item.get<std::string>());
            }
        }
    };
    if (action.contains(single)) add(action[single]);
    if (action.contains(plural)) add(action[plural]);
    return out;
}

Json action_summary(const AliasAction& action) {
    Json out = Json::object();
    out["type"] = action.type == AliasAction::Type::kAdd      ? "add"
                  : action.type == AliasAction::Type::kRemove ? "remove"
                                                              : "remove_index";
    out["indices"] = action.indices;
    out["aliases"] = action.aliases;
    return out;
}

ApiError aliases_missing(const std::vector<std::string>& names) {
    std::vector<std::string> sorted = names;
    std::sort(sorted.begin(), sorted.end());
    Json extra = Json::object();
    extra["resource.type"] = "aliases";
    extra["resource.id"] = sorted;
    return ApiError(404, "aliases_not_found_exception",
                    fmt::format("aliases [{}] missing", fmt::join(sorted, ",")), extra);
}

std::vector<std::string> resolve_indices(const AliasTable& table,
                                         const std::set<std::string>& indices,
                                         const std::vector<std::string>& expressions) {
    std::vector<std::string> out;
    for (const auto& raw : expressions) {
        const std::string expr = resolve_date_math(raw, std::chrono::system_clock::now());
        if (expr == "_all" || has_wildcard(expr)) {
            for (const auto& name : indices) {
                if (expr == "_all" || wildcard_match(expr, name)) out.push_back(name);
            }
            continue;
        }
        if (indices.count(expr)) {
            out.push_back(expr);
            continue;
        }
        auto via_alias = alias_indices(table, expr);
        if (via_alias.empty()) throw index_not_found(expr);
        out.insert(out.end(), via_alias.begin(), via_alias.end());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace

Json AliasProps::to_json() const {
    Json out = Json::object();
    if (!filter.is_null()) out["filter"] = filter;
    if (index_routing) out["index_routing"] = *index_routing;
    if (search_routing) out["search_routing"] = *search_routing;
    if (is_write_index) out["is_write_index"] = *is_write_index;
    if (is_hidden) out["is_hidden"] = *is_hidden;
    return out;
}

AliasProps AliasProps::from_json(const Json& body) {
    AliasProps props;
    if (!body.is_object()) return props;
    if (body.contains("filter") && !body["filter"].is_null()) props.filter = body["filter"];
    auto text = [](const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    if (body.contains("routing")) {
        props.index_routing = text(body["routing"]);
        props.search_routing = text(body["routing"]);
    }
    if (body.contains("index_routing")) props.index_routing = text(body["index_routing"]);
    if (body.contains("search_routing")) props.search_routing = text(body["search_routing"]);
    if (body.contains("is_write_index")) props.is_write_index = read_bool(body["is_write_index"]);
    if (body.contains("is_hidden")) props.is_hidden = read_bool(body["is_hidden"]);
    return props;
}

std::vector<AliasAction> parse_alias_actions(const Json& body) {
    if (!body.is_object() || !body.contains("actions") || !body["actions"].is_array()) {
        throw validation_failed("No action specified");
    }
    std::vector<AliasAction> out;
    for (const auto& entry : body["actions"]) {
        if (!entry.is_object() || entry.size() != 1) {
            throw parsing_error("[aliases] failed to parse field [actions]");
        }
        const auto entry_first = entry.begin();
        const std::string& kind = entry_first.key();
        const auto& spec = entry_first.value();
        AliasAction action;
        if (kind == "add") {
            action.type = AliasAction::Type::kAdd;
        } else if (kind == "remove") {
            action.type = AliasAction::Type::kRemove;
        } else if (kind == "remove_index") {
            action.type = AliasAction::Type::kRemoveIndex;
        } else {
            throw parsing_error("[aliases] failed to parse field [actions]");
        }
        action.indices = read_names(spec, "index", "indices");
        action.aliases = read_names(spec, "alias", "aliases");
        action.props = AliasProps::from_json(spec);
        if (spec.contains("must_exist")) action.must_exist = read_bool(spec["must_exist"]);
        if (action.indices.empty())
            throw validation_failed("One of [index] or [indices] is required");
        if (action.type != AliasAction::Type::kRemoveIndex && action.aliases.empty()) {
            throw validation_failed("One of [alias] or [aliases] is required");
        }
        if (action.must_exist && action.type == AliasAction::Type::kAdd) {
            throw illegal_argument("[must_exist] is unsupported for [ADD]");
        }
        if (action.must_exist && action.type == AliasAction::Type::kRemoveIndex) {
            throw illegal_argument("[must_exist] is unsupported for [REMOVE_INDEX]");
        }
        out.push_back(std::move(action));
    }
    if (out.empty()) throw validation_failed("No action specified");
    return out;
}

AliasPlan plan_alias_actions(const AliasTable& current, const std::set<std::string>& indices,
                             const std::vector<AliasAction>& actions) {
    AliasPlan plan;
    plan.next = current;
    std::set<std::string> live = indices;
    size_t failed_removes = 0;
    std::vector<Json> results(actions.size());
    // Like Elasticsearch, indices are removed first, so an alias may take a removed index's name.
    for (int pass = 0; pass < 2; ++pass) {
        for (size_t n = 0; n < actions.size(); ++n) {
            const AliasAction& action = actions[n];
            if ((action.type == AliasAction::Type::kRemoveIndex) != (pass == 0)) continue;
            Json result = Json::object();
            result["action"] = action_summary(action);
            result["status"] = 200;
            const auto targets = resolve_indices(plan.next, live, action.indices);
            if (targets.empty()) throw index_not_found(action.indices.front());
            const auto now = std::chrono::system_clock::now();
            if (action.type == AliasAction::Type::kRemoveIndex) {
                for (const auto& expr : action.indices) {
                    if (!has_wildcard(expr) && expr != "_all" && !live.count(expr)) {
                        throw illegal_argument(fmt::format(
                            "The provided expression [{}] matches an alias, specify the "
                            "corresponding concrete indices instead.",
                            expr));
                    }
                }
                for (const auto& index : targets) {
                    live.erase(index);
                    plan.next.erase(index);
                    plan.removed_indices.insert(index);
                }
            } else if (action.type == AliasAction::Type::kAdd) {
                for (const auto& raw : action.aliases) {
                    const std::string alias = resolve_date_math(raw, now);
                    if (live.count(alias)) {
                        Json extra = Json::object();
                        extra["index_uuid"] = "_na_";
                        extra["index"] = alias;
                        throw ApiError(
                            400, "invalid_alias_name_exception",
                            fmt::format("Invalid alias name [{}]: an index or data stream "
                                        "exists with the same name as the alias",
                                        alias),
                            extra);
                    }
                    if (auto reason = invalid_index_name_reason(alias);
                        reason && has_wildcard(alias)) {
                        throw ApiError(400, "invalid_alias_name_exception",
                                       fmt::format("Invalid alias name [{}]: {}", alias, *reason));
                    }
                    for (const auto& index : targets) plan.next[index][alias] = action.props;
                }
            } else {
                std::vector<std::string> missing;
                bool removed_any = false;
                for (const auto& alias : action.aliases) {
                    bool matched = false;
                    for (const auto& index : targets) {
                        auto it = plan.next.find(index);
                        if (it == plan.next.end()) continue;
                        for (auto a = it->second.begin(); a != it->second.end();) {
                            if (a->first == alias ||
                                (has_wildcard(alias) && wildcard_match(alias, a->first))) {
                                a = it->second.erase(a);
                                matched = true;
                            } else {
                                ++a;
                            }
                        }
                    }
                    if (!matched) missing.push_back(alias);
                    removed_any = removed_any || matched;
                }
                if (!missing.empty()) {
                    if (action.must_exist.value_or(false)) throw aliases_missing(missing);
                    if (!removed_any) {
                        ++failed_removes;
                        plan.errors = true;
                        result["status"] = 404;
                        result["error"] = aliases_missing(missing).cause();
                    }
                }
            }
            results[n] = result;
        }
    }
    for (auto& result : results) plan.action_results.push_back(std::move(result));
    if (failed_removes == actions.size()) {
        std::vector<std::string> all;
        for (const auto& action : actions) {
            all.insert(all.end(), action.aliases.begin(), action.aliases.end());
        }
        throw aliases_missing(all);
    }
    for (auto it = plan.next.begin(); it != plan.next.end();) {
        it = live.count(it->first) ? std::next(it) : plan.next.erase(it);
    }
    check_write_indices(plan.next);
    return plan;
}

std::vector<std::string> alias_indices(const AliasTable& table, const std::string& alias) {
    std::vector<std::string> out;
    for (const auto& [index, aliases] : table) {
        if (aliases.count(alias)) out.push_back(index);
    }
    return out;
}

std::optional<std::string> alias_write_index(const AliasTable& table, const std::string& alias,
                                             std::string* error) {
    std::vector<std::string> members;
    for (const auto& [index, aliases] : table) {
        auto it = aliases.find(alias);
        if (it == aliases.end()) continue;
        if (it->second.is_write_index.value_or(false)) return index;
        if (!it->second.is_write_index.has_value())
            members.push_back(index);
        else
            members.emplace_back();
    }
    if (members.size() == 1 && !members.front().empty()) return members.front();
    if (error) {
        *error = fmt::format(
            "no write index is defined for alias [{}]. The write index may be explicitly "
            "disabled using is_write_index=false or the alias points to multiple indices without "
            "one being designated as a write index",
            alias);
    }
    return std::nullopt;
}

void check_write_indices(const AliasTable& table) {
    std::map<std::string, std::vector<std::string>> writers;
    for (const auto& [index, aliases] : table) {
        for (const auto& [alias, props] : aliases) {
            if (props.is_write_index.value_or(false)) writers[alias].push_back(index);
        }
    }
    for (const auto& [alias, list] : writers) {
        if (list.size() > 1) {
            throw ApiError(400, "illegal_state_exception",
                           fmt::format("alias [{}] has more than one write index [{}]", alias,
                                       fmt::join(list, ",")));
        }
    }
}

}  // namespace kt::tools::standin
