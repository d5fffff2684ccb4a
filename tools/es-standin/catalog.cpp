#include "tools/es-standin/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "tools/es-standin/names.hpp"
#include "tools/es-standin/settings.hpp"

namespace kt::tools::standin {

namespace {

void check_mappings(const Json& mappings) {
    if (mappings.is_null()) return;
    if (!mappings.is_object()) {
        throw ApiError(400, "mapper_parsing_exception",
                       "Failed to parse mapping: malformed mapping");
    }
    if (!mappings.contains("properties")) return;
    for (const auto& [field, spec] : mappings["properties"].items()) {
        if (field.empty()) {
            ApiError error(400, "mapper_parsing_exception",
                           "Failed to parse mapping: field name cannot be an empty string");
            error.caused_by(illegal_argument("field name cannot be an empty string"));
            throw error;
        }
    }
}

}  // namespace

Catalog::Catalog(Clock clock) : clock_(std::move(clock)) {}

IndexPtr Catalog::create_locked(const std::string& name, const Json& body) {
    if (indices_.count(name)) {
        Json extra = Json::object();
        extra["index_uuid"] = indices_.at(name)->uuid();
        extra["index"] = name;
        throw ApiError(400, "resource_already_exists_exception",
                       "index [" + name + "/" + indices_.at(name)->uuid() + "] already exists",
                       extra);
    }
    check_index_name(name);
    if (!alias_indices(aliases_, name).empty()) {
        Json extra = Json::object();
        extra["index_uuid"] = "_na_";
        extra["index"] = name;
        throw ApiError(400, "invalid_index_name_exception",
                       "Invalid index name [" + name + "], already exists as alias", extra);
    }
    FlatSettings settings;
    Json mappings = Json::object();
    AliasTable next = aliases_;
    if (body.is_object()) {
        for (const auto& [key, value] : body.items()) {
            if (key != "settings" && key != "mappings" && key != "aliases") {
                throw parsing_error("unknown key [" + key + "] for create index");
            }
        }
        if (body.contains("settings")) settings = flatten_settings(body["settings"]);
        if (body.contains("mappings")) {
            check_mappings(body["mappings"]);
            mappings = body["mappings"];
        }
        if (body.contains("aliases") && body["aliases"].is_object()) {
            for (const auto& [alias, spec] : body["aliases"].items()) {
                const std::string resolved =
                    resolve_date_math(alias, std::chrono::system_clock::now());
                if (indices_.count(resolved)) {
                    throw ApiError(400, "invalid_alias_name_exception",
                                   "Invalid alias name [" + resolved +
                                       "]: an index or data stream exists with the same name as "
                                       "the alias");
                }
                next[name][resolved] = AliasProps::from_json(spec);
            }
        }
    }
    validate_new_index_settings(settings);
    check_write_indices(next);
    auto index =
        std::make_shared<IndexStore>(name, std::move(settings), std::move(mappings), clock_);
    indices_[name] = index;
    aliases_ = std::move(next);
    return index;
}

IndexPtr Catalog::create_index(const std::string& raw_name, const Json& body) {
    const std::string name = resolve_date_math(raw_name, std::chrono::system_clock::now());
    std::unique_lock lock(mutex_);
    return create_locked(name, body);
}

std::vector<std::string> Catalog::delete_indices(const std::string& expression,
                                                 const ResolveOptions& options) {
    std::unique_lock lock(mutex_);
    std::set<std::string> targets;
    const auto parts = split_csv(expression);
    for (const auto& part : parts) {
        if (part == "_all" || has_wildcard(part)) {
            bool matched = false;
            for (const auto& [name, index] : indices_) {
                if (part == "_all" || wildcard_match(part, name)) {
                    targets.insert(name);
                    matched = true;
                }
            }
            if (!matched && !options.allow_no_indices) throw index_not_found(part);
            continue;
        }
        if (indices_.count(part)) {
            targets.insert(part);
            continue;
        }
        if (options.ignore_unavailable) continue;
        if (!alias_indices(aliases_, part).empty()) {
            throw illegal_argument(
                fmt::format("The provided expression [{}] matches an alias, specify the "
                            "corresponding concrete indices instead.",
                            part));
        }
        throw index_not_found(part);
    }
    if (targets.empty() && !options.allow_no_indices) {
        throw index_not_found(parts.empty() ? expression : parts.front());
    }
    for (const auto& name : targets) {
        indices_.erase(name);
        aliases_.erase(name);
    }
    return {targets.begin(), targets.end()};
}

std::vector<IndexPtr> Catalog::resolve(const std::string& expression,
                                       const ResolveOptions& options) const {
    std::shared_lock lock(mutex_);
    std::set<std::string> names;
    auto parts = split_csv(expression);
    if (parts.empty()) parts.emplace_back("_all");
    auto usable = [&](const std::string& name) {
        auto it = indices_.find(name);
        return it != indices_.end() && (options.include_closed || !it->second->closed());
    };
    for (const auto& raw : parts) {
        const std::string part = resolve_date_math(raw, std::chrono::system_clock::now());
        const size_t before = names.size();
        if (part == "_all" || has_wildcard(part)) {
            for (const auto& [name, index] : indices_) {
                if ((part == "_all" || wildcard_match(part, name)) && usable(name)) {
                    names.insert(name);
                }
            }
            if (options.aliases_allowed && part != "_all") {
                for (const auto& [index, aliases] : aliases_) {
                    for (const auto& [alias, props] : aliases) {
                        if (wildcard_match(part, alias) && usable(index)) names.insert(index);
                    }
                }
            }
            if (names.size() == before && !options.allow_no_indices) throw index_not_found(part);
            continue;
        }
        if (indices_.count(part)) {
            auto it = indices_.find(part);
            if (it->second->closed() && !options.include_closed && !options.ignore_unavailable) {
                Json extra = Json::object();
                extra["index_uuid"] = it->second->uuid();
                extra["index"] = part;
                throw ApiError(400, "index_closed_exception", "closed", extra);
            }
            if (usable(part)) names.insert(part);
            continue;
        }
        const auto via_alias =
            options.aliases_allowed ? alias_indices(aliases_, part) : std::vector<std::string>{};
        if (!via_alias.empty()) {
            for (const auto& name : via_alias) {
                if (usable(name)) names.insert(name);
            }
            continue;
        }
        if (!options.ignore_unavailable) throw index_not_found(part);
    }
    if (names.empty() && !options.allow_no_indices) throw index_not_found(parts.front());
    std::vector<IndexPtr> out;
    for (const auto& name : names) out.push_back(indices_.at(name));
    return out;
}

IndexPtr Catalog::resolve_for_write(const std::string& raw_name, bool require_alias) {
    const std::string name = resolve_date_math(raw_name, std::chrono::system_clock::now());
    {
        std::shared_lock lock(mutex_);
        auto it = indices_.find(name);
        if (it != indices_.end() && !require_alias) {
            if (it->second->closed()) {
                Json extra = Json::object();
                extra["index_uuid"] = it->second->uuid();
                extra["index"] = name;
                throw ApiError(400, "index_closed_exception", "closed", extra);
            }
            return it->second;
        }
        if (!alias_indices(aliases_, name).empty()) {
            std::string error;
            auto target = alias_write_index(aliases_, name, &error);
            if (!target) throw illegal_argument(error);
            return indices_.at(*target);
        }
        if (require_alias) {
            Json extra = Json::object();
            extra["resource.type"] = "index_or_alias";
            extra["resource.id"] = name;
            extra["index_uuid"] = "_na_";
            extra["index"] = name;
            throw ApiError(404, "index_not_found_exception",
                           fmt::format("no such index [{}] and [require_alias] request flag is "
                                       "[true] and [{}] is not an alias",
                                       name, name),
                           extra);
        }
    }
    std::unique_lock lock(mutex_);
    if (auto it = indices_.find(name); it != indices_.end()) return it->second;
    return create_locked(name, Json::object());
}

IndexPtr Catalog::find(const std::string& name) const {
    std::shared_lock lock(mutex_);
    auto it = indices_.find(name);
    return it == indices_.end() ? nullptr : it->second;
}

std::set<std::string> Catalog::index_names() const {
    std::shared_lock lock(mutex_);
    std::set<std::string> out;
    for (const auto& [name, index] : indices_) out.insert(name);
    return out;
}

AliasTable Catalog::aliases() const {
    std::shared_lock lock(mutex_);
    return aliases_;
}

bool Catalog::is_alias(const std::string& name) const {
    std::shared_lock lock(mutex_);
    return !alias_indices(aliases_, name).empty();
}

Json Catalog::update_aliases(const std::vector<AliasAction>& actions) {
    std::unique_lock lock(mutex_);
    std::set<std::string> names;
    for (const auto& [name, index] : indices_) names.insert(name);
    AliasPlan plan = plan_alias_actions(aliases_, names, actions);
    for (const auto& name : plan.removed_indices) indices_.erase(name);
    aliases_ = std::move(plan.next);
    Json out = Json::object();
    out["acknowledged"] = true;
    out["errors"] = plan.errors;
    if (plan.errors) out["action_results"] = plan.action_results;
    return out;
}

void Catalog::refresh_due_indices() const {
    std::vector<IndexPtr> all;
    {
        std::shared_lock lock(mutex_);
        for (const auto& [name, index] : indices_) all.push_back(index);
    }
    for (const auto& index : all) index->refresh_if_due();
}

}  // namespace kt::tools::standin
