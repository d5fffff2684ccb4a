#include "tools/es-standin/settings.hpp"

namespace kt::tools::standin {

namespace {

Json as_setting_value(const Json& value) {
    if (value.is_string()) return value;
    if (value.is_array()) {
        Json out = Json::array();
        for (const auto& item : value) out.push_back(as_setting_value(item));
        return out;
    }
    if (value.is_null()) return value;
    return value.dump();
}

void flatten_into(const Json& node, const std::string& prefix, FlatSettings& out) {
    for (const auto& [key, value] : node.items()) {
        const std::string path = prefix.empty() ? key : prefix + "." + key;
        if (value.is_object()) {
            flatten_into(value, path, out);
        } else {
            out[path] = as_setting_value(value);
        }
    }
}

}  // namespace

FlatSettings flatten_settings(const Json& settings) {
    FlatSettings raw;
    if (settings.is_null()) return raw;
    if (!settings.is_object()) {
        throw ApiError(400, "settings_exception",
                       "Failed to load settings from " + settings.dump());
    }
    flatten_into(settings, "", raw);
    FlatSettings out;
    for (auto& [key, value] : raw) {
        out[key.rfind("index.", 0) == 0 ? key : "index." + key] = value;
    }
    return out;
}

Json render_settings(const FlatSettings& settings, bool flat) {
    Json out = Json::object();
    for (const auto& [key, value] : settings) {
        if (value.is_null()) continue;
        if (flat) {
            out[key] = value;
            continue;
        }
        Json* node = &out;
        size_t start = 0;
        while (true) {
            const size_t dot = key.find('.', start);
            if (dot == std::string::npos) {
                (*node)[key.substr(start)] = value;
                break;
            }
            Json& child = (*node)[key.substr(start, dot - start)];
            if (!child.is_object()) child = Json::object();
            node = &child;
            start = dot + 1;
        }
    }
    return out;
}

void validate_new_index_settings(const FlatSettings& settings) {
    if (auto it = settings.find("index.soft_deletes.enabled");
        it != settings.end() && it->second == "false") {
        throw illegal_argument(
            "Creating indices with soft-deletes disabled is no longer supported. Please do not "
            "specify a value for setting [index.soft_deletes.enabled].");
    }
    if (auto it = settings.find("index.number_of_shards"); it != settings.end()) {
        const std::string text = it->second.is_string() ? it->second.get<std::string>() : "";
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(text) < 1) {
            throw illegal_argument("Failed to parse value [" + text +
                                   "] for setting [index.number_of_shards] must be >= 1");
        }
    }
}

}  // namespace kt::tools::standin
