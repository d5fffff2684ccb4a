#include "lib/es/index_admin.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "lib/error.hpp"
#include "lib/es/response_error.hpp"
#include "lib/log/log.hpp"

namespace kt::es {

namespace {

using nlohmann::json;

bool is_2xx(int status) {
    return status >= 200 && status < 300;
}

std::string read_mappings_file(const std::string& path) {
    if (path.empty()) return "{}";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot read mappings file {}", path));
    std::ostringstream text;
    text << in.rdbuf();
    const json parsed = json::parse(text.str(), nullptr, false);
    if (!parsed.is_object()) {
        throw Error(fmt::format("mappings file {} is not a JSON object", path));
    }
    return text.str();
}

std::string path_of(std::string_view name) {
    return "/" + encode_path_segment(name);
}

json parse_json_or_throw(const Response& response, std::string_view what) {
    json parsed = json::parse(response.body, nullptr, false);
    if (parsed.is_discarded()) {
        throw EsError(fmt::format("elasticsearch {}: answer is not JSON", what), response.status,
                      "");
    }
    return parsed;
}

}  // namespace

std::string physical_index_name(std::string_view alias, std::chrono::system_clock::time_point now) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    const std::time_t seconds =
        static_cast<std::time_t>(std::chrono::floor<std::chrono::seconds>(ms).count());
    const auto millis = static_cast<int>(ms.count() - static_cast<std::int64_t>(seconds) * 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    return fmt::format("{}_{:04}{:02}{:02}{:02}{:02}{:02}{:03}", alias, utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

IndexAdmin::IndexAdmin(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {
    if (!transport_) throw Error("IndexAdmin needs a transport");
}

Response IndexAdmin::call(Method method, std::string target, std::string body) {
    return transport_->perform(json_request(method, std::move(target), std::move(body)));
}

Response IndexAdmin::checked(Method method, std::string target, std::string body) {
    return perform_checked(*transport_, json_request(method, std::move(target), std::move(body)));
}

ServerInfo IndexAdmin::root() {
    const Response response = checked(Method::kGet, "/");
    const json body = parse_json_or_throw(response, "GET /");
    ServerInfo info;
    info.name = body.value("name", "");
    info.cluster_name = body.value("cluster_name", "");
    if (const auto v = body.find("version"); v != body.end() && v->is_object()) {
        info.version = v->value("number", "");
        info.distribution = v->value("distribution", "");
    }
    return info;
}

bool IndexAdmin::alias_exists(std::string_view name) {
    const std::string target = "/_alias" + path_of(name);
    const Response response = call(Method::kHead, target);
    if (response.status == 404) return false;
    if (is_2xx(response.status)) return true;
    throw response_error(*transport_, Request{Method::kHead, target, {}, {}, {}}, response);
}

bool IndexAdmin::exists(std::string_view name) {
    const std::string target = path_of(name);
    const Response response = call(Method::kHead, target);
    if (response.status == 404) return false;
    if (is_2xx(response.status)) return true;
    throw response_error(*transport_, Request{Method::kHead, target, {}, {}, {}}, response);
}

std::vector<std::string> IndexAdmin::indices_of_alias(std::string_view name) {
    const std::string target = "/_alias" + path_of(name);
    const Response response = call(Method::kGet, target);
    if (response.status == 404) return {};
    if (!is_2xx(response.status)) {
        throw response_error(*transport_, Request{Method::kGet, target, {}, {}, {}}, response);
    }
    const json body = parse_json_or_throw(response, "GET /_alias");
    std::vector<std::string> indices;
    if (body.is_object()) {
        for (const auto& [index, value] : body.items()) indices.push_back(index);
    }
    std::sort(indices.begin(), indices.end());
    return indices;
}

void IndexAdmin::create_index(std::string_view physical_name,
                              std::string_view settings_and_mappings_json) {
    (void)checked(Method::kPut, path_of(physical_name), std::string(settings_and_mappings_json));
}

EnsuredAlias IndexAdmin::ensure_alias(std::string_view alias, const std::string& mappings_file_path,
                                      std::chrono::system_clock::time_point now) {
    if (alias_exists(alias)) return EnsuredAlias{indices_of_alias(alias), false};
    if (exists(alias)) {
        // HEAD /<name> answers 200 for an alias too: one another process created between the
        // two checks (several indexers starting at once) is theirs to keep, not an error.
        if (alias_exists(alias)) return EnsuredAlias{indices_of_alias(alias), false};
        throw EsError(fmt::format("elasticsearch: an index named {0} exists, so kt cannot create "
                                  "the alias {0}; reindex it into a new index or delete it",
                                  alias),
                      409, "index_exists_with_alias_name");
    }
    const std::string body = read_mappings_file(mappings_file_path);
    const std::string physical = physical_index_name(alias, now);
    bool created = true;
    try {
        create_index(physical, body);
    } catch (const EsError& e) {
        // Another process starting in the same millisecond created this very name from the same
        // config; pointing the alias at it too is idempotent.
        if (e.type() != "resource_already_exists_exception") throw;
        created = false;
    }
    const AliasAction add{AliasAction::Kind::kAdd, physical, std::string(alias), true};
    try {
        update_aliases(std::span<const AliasAction>(&add, 1));
    } catch (const EsError& e) {
        // Another process may have created the alias meanwhile; ES then refuses a second
        // write index. Keep theirs and drop ours.
        std::vector<std::string> theirs = indices_of_alias(alias);
        if (theirs.empty() || std::find(theirs.begin(), theirs.end(), physical) != theirs.end()) {
            throw;
        }
        log::info("alias {} was created concurrently; dropping {}", alias, physical);
        (void)delete_index(physical);
        return EnsuredAlias{std::move(theirs), false};
    }
    if (!created) return EnsuredAlias{{physical}, false};
    log::info("created index {} behind alias {}", physical, alias);
    return EnsuredAlias{{physical}, true};
}

void IndexAdmin::update_aliases(std::span<const AliasAction> actions) {
    json list = json::array();
    for (const auto& action : actions) {
        switch (action.kind) {
            case AliasAction::Kind::kAdd: {
                json add = {{"index", action.index}, {"alias", action.alias}};
                if (action.is_write_index) add["is_write_index"] = *action.is_write_index;
                list.push_back({{"add", std::move(add)}});
                break;
            }
            case AliasAction::Kind::kRemove:
                list.push_back({{"remove", {{"index", action.index}, {"alias", action.alias}}}});
                break;
            case AliasAction::Kind::kRemoveIndex:
                list.push_back({{"remove_index", {{"index", action.index}}}});
                break;
        }
    }
    (void)checked(Method::kPost, "/_aliases", json{{"actions", std::move(list)}}.dump());
}

void IndexAdmin::put_settings(std::string_view index, std::string_view settings_json) {
    (void)checked(Method::kPut, path_of(index) + "/_settings", std::string(settings_json));
}

void IndexAdmin::refresh(std::string_view index) {
    (void)checked(Method::kPost, path_of(index) + "/_refresh");
}

bool IndexAdmin::delete_index(std::string_view index) {
    const std::string target = path_of(index);
    const Response response = call(Method::kDelete, target);
    if (response.status == 404) return false;
    if (!is_2xx(response.status)) {
        throw response_error(*transport_, Request{Method::kDelete, target, {}, {}, {}}, response);
    }
    return true;
}

std::uint64_t IndexAdmin::count(std::string_view index) {
    const Response response = checked(Method::kGet, path_of(index) + "/_count");
    const json body = parse_json_or_throw(response, "GET _count");
    const auto c = body.find("count");
    if (c == body.end() || !c->is_number_unsigned()) {
        throw EsError("elasticsearch GET _count: answer has no count", response.status, "");
    }
    return c->get<std::uint64_t>();
}

}  // namespace kt::es
