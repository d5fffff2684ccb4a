// Runs Elasticsearch's own YAML REST tests (one file per invocation) against an in-process
// kt-es-standin on a free port. Usage: kt_standin_rest_tests <es-rest-tests dir> <test file>
// where <test file> is relative to <dir>/test, e.g. bulk/10_basic.yml.
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tools/es-standin/http_server.hpp"
#include "tools/es-standin/router.hpp"

namespace kt::tests::standin {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

/// The Elasticsearch version the stand-in claims for `skip`/`requires` version checks.
constexpr int kVersion[3] = {8, 15, 0};

/// Test-runner features this runner implements (README.asciidoc, "Available test runner
/// features"). `warnings` is not claimed: the stand-in never sends Warning headers.
const std::set<std::string> kRunnerFeatures = {
    "headers",      "allowed_warnings", "allowed_warnings_regex", "contains", "default_shards",
    "stash_in_key", "stash_in_path",    "embedded_stash_key",     "regex",    "exists"};

/// Cluster features the stand-in claims besides the synthetic `gte_vX.Y.Z` ones (<= 8.14.0).
const std::set<std::string> kClusterFeatures = {"bulk_auto_id", "bulk_require_alias",
                                                "indices_alias_date_math"};

/// Test cases excluded on purpose, by file and test name, with the reason. Never silent: each
/// exclusion is printed and counted, and listed in tools/es-standin/README.md.
const std::map<std::string, std::map<std::string, std::string>> kExcluded = {
    {"mget/10_basic.yml",
     {{"Basic multi-get",
       "asserts `_type: _doc` (7.x response shape); Elasticsearch 8 no longer returns _type"}}},
    {"search/90_search_after.yml",
     {{"Format sort values",
       "sort `format` on output and `numeric_type` mixing are out of the stand-in's scope"}}},
};

struct Version {
    int parts[3] = {0, 0, 0};
};

Version parse_version(std::string text) {
    Version v;
    std::sscanf(text.c_str(), "%d.%d.%d", &v.parts[0], &v.parts[1], &v.parts[2]);
    return v;
}

int compare(const Version& a, const int (&b)[3]) {
    for (int i = 0; i < 3; ++i) {
        if (a.parts[i] != b[i]) return a.parts[i] < b[i] ? -1 : 1;
    }
    return 0;
}

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

/// True when the stand-in's version falls in one of the `skip: version` ranges.
bool version_in_ranges(const std::string& ranges) {
    if (trim(ranges) == "all") return true;
    std::stringstream in(ranges);
    std::string range;
    while (std::getline(in, range, ',')) {
        const size_t dash =
            range.find(" - ") != std::string::npos ? range.find(" - ") : range.find('-');
        std::string low = trim(range.substr(0, dash));
        std::string high =
            trim(range.substr(dash + (range.find(" - ") != std::string::npos ? 3 : 1)));
        const bool above = low.empty() || compare(parse_version(low), kVersion) <= 0;
        const bool below = high.empty() || compare(parse_version(high), kVersion) >= 0;
        if (above && below) return true;
    }
    return false;
}

bool has_cluster_feature(const std::string& feature) {
    if (feature.rfind("gte_v", 0) == 0) {
        const Version v = parse_version(feature.substr(5));
        const int limit[3] = {8, 14, 0};
        return compare(v, limit) <= 0 && compare(v, kVersion) <= 0;
    }
    return kClusterFeatures.count(feature) > 0;
}

std::vector<std::string> string_list(const YAML::Node& node) {
    std::vector<std::string> out;
    if (!node) return out;
    if (node.IsSequence()) {
        for (const auto& item : node) out.push_back(item.as<std::string>());
    } else {
        out.push_back(node.as<std::string>());
    }
    return out;
}

/// Why a section must be skipped, or nothing.
std::optional<std::string> skip_reason(const YAML::Node& steps) {
    if (!steps || !steps.IsSequence()) return std::nullopt;
    for (const auto& step : steps) {
        if (!step.IsMap()) continue;
        if (const auto skip = step["skip"]) {
            const std::string reason = skip["reason"] ? skip["reason"].as<std::string>() : "";
            if (skip["version"] && version_in_ranges(skip["version"].as<std::string>())) {
                return "skip version [" + skip["version"].as<std::string>() + "]: " + reason;
            }
            for (const auto& f : string_list(skip["features"])) {
                if (!kRunnerFeatures.count(f)) return "runner feature [" + f + "] not supported";
            }
            for (const auto& f : string_list(skip["cluster_features"])) {
                if (has_cluster_feature(f)) return "cluster feature [" + f + "] present: " + reason;
            }
            if (skip["awaits_fix"]) return "awaits fix: " + reason;
            if (const auto issues = skip["known_issues"]) {
                for (const auto& issue : issues) {
                    if (has_cluster_feature(issue["cluster_feature"].as<std::string>()) &&
                        !has_cluster_feature(issue["fixed_by"].as<std::string>())) {
                        return "known issue: " + reason;
                    }
                }
            }
        }
        if (const auto requires_ = step["requires"]) {
            const std::string reason =
                requires_["reason"] ? requires_["reason"].as<std::string>() : "";
            for (const auto& f : string_list(requires_["test_runner_features"])) {
                if (!kRunnerFeatures.count(f)) return "requires runner feature [" + f + "]";
            }
            for (const auto& f : string_list(requires_["cluster_features"])) {
                if (!has_cluster_feature(f)) {
                    return "requires cluster feature [" + f + "] not claimed: " + reason;
                }
            }
            if (requires_["capabilities"]) return "requires capabilities: " + reason;
        }
    }
    return std::nullopt;
}

/// YAML -> JSON with plain-scalar typing (quoted scalars stay strings).
Json to_json(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return nullptr;
        case YAML::NodeType::Sequence: {
            Json out = Json::array();
            for (const auto& item : node) out.push_back(to_json(item));
            return out;
        }
        case YAML::NodeType::Map: {
            Json out = Json::object();
            for (const auto& item : node) out[item.first.as<std::string>()] = to_json(item.second);
            return out;
        }
        case YAML::NodeType::Scalar:
            break;
    }
    const std::string& text = node.Scalar();
    if (node.Tag() == "!") return text;
    if (text == "true") return true;
    if (text == "false") return false;
    if (text == "null" || text == "~") return nullptr;
    static const std::regex kInt(R"(^-?[0-9]+$)");
    static const std::regex kFloat(R"(^-?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?$)");
    if (std::regex_match(text, kInt)) {
        try {
            return std::stoll(text);
        } catch (const std::exception&) {
            return text;
        }
    }
    if (std::regex_match(text, kFloat)) return std::stod(text);
    return text;
}

std::string as_string(const Json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_array()) {
        std::string out;
        for (const auto& item : value) out += (out.empty() ? "" : ",") + as_string(item);
        return out;
    }
    return value.dump();
}

std::string url_encode(const std::string& text) {
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '*' ||
            c == ',') {
            out += ch;
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class FileRunner {
public:
    FileRunner(fs::path spec_dir, int port)
        : spec_dir_(std::move(spec_dir)), client_("127.0.0.1", port) {
        client_.set_keep_alive(true);
        client_.set_read_timeout(30, 0);
    }

    void reset() {
        stash_ = Json::object();
        response_ = Json();
        body_text_.clear();
    }

    void run_steps(const YAML::Node& steps) {
        if (!steps || !steps.IsSequence()) return;
        for (const auto& step : steps) {
            const auto entry = step.begin();
            const std::string kind = entry->first.as<std::string>();
            const YAML::Node& arg = entry->second;
            if (kind == "skip" || kind == "requires") continue;
            if (kind == "do") {
                run_do(arg);
            } else if (kind == "set") {
                for (const auto& item : arg) {
                    stash_[item.second.as<std::string>()] =
                        lookup(item.first.as<std::string>(), true);
                }
            } else {
                assert_step(kind, arg);
            }
        }
    }

    void wipe() {
        httplib::Request req;
        for (const char* path : {"/_all", "/_search/scroll/_all"}) {
            req.method = "DELETE";
            req.path = path;
            httplib::Response res;
            httplib::Error error;
            client_.send(req, res, error);
        }
    }

private:
    const Json& api_spec(const std::string& api) {
        auto it = specs_.find(api);
        if (it != specs_.end()) return it->second;
        std::ifstream in(spec_dir_ / "api" / (api + ".json"));
        if (!in) throw Failure("no REST API spec for [" + api + "]");
        Json spec = Json::parse(in)[api];
        return specs_[api] = spec;
    }

    Json substitute(const Json& value) const {
        if (value.is_string()) {
            const std::string text = value.get<std::string>();
            if (text.size() > 1 && text[0] == '$' && text.find('{') == std::string::npos) {
                const std::string name = text.substr(1);
                if (stash_.contains(name)) return stash_[name];
            }
            static const std::regex kEmbedded(R"(\$\{([A-Za-z0-9_]+)\})");
            std::string out;
            std::sregex_iterator it(text.begin(), text.end(), kEmbedded);
            size_t last = 0;
            bool any = false;
            for (; it != std::sregex_iterator(); ++it) {
                any = true;
                out += text.substr(last, static_cast<size_t>(it->position()) - last);
                const std::string name = (*it)[1];
                out += stash_.contains(name) ? as_string(stash_[name]) : it->str();
                last = static_cast<size_t>(it->position() + it->length());
            }
            if (!any) return value;
            return out + text.substr(last);
        }
        if (value.is_array()) {
            Json out = Json::array();
            for (const auto& item : value) out.push_back(substitute(item));
            return out;
        }
        if (value.is_object()) {
            Json out = Json::object();
            for (const auto& [k, v] : value.items()) out[as_string(substitute(k))] = substitute(v);
            return out;
        }
        return value;
    }

    void run_do(const YAML::Node& arg) {
        std::optional<std::string> catch_;
        httplib::Headers headers;
        std::string api;
        Json params;
        for (const auto& item : arg) {
            const std::string key = item.first.as<std::string>();
            if (key == "catch") {
                catch_ = item.second.as<std::string>();
            } else if (key == "headers") {
                for (const auto& h : item.second) {
                    headers.emplace(h.first.as<std::string>(), h.second.as<std::string>());
                }
            } else if (key == "warnings" || key == "allowed_warnings" ||
                       key == "allowed_warnings_regex" || key == "warnings_regex" ||
                       key == "node_selector") {
                continue;
            } else {
                api = key;
                params = substitute(to_json(item.second));
            }
        }
        if (params.is_null()) params = Json::object();
        const Json& spec = api_spec(api);
        Json body;
        bool has_body = false;
        if (params.contains("body")) {
            body = params["body"];
            params.erase("body");
            has_body = true;
        }
        std::set<int> ignore;
        if (params.contains("ignore")) {
            const Json v = params["ignore"];
            if (v.is_array()) {
                for (const auto& s : v) ignore.insert(s.get<int>());
            } else {
                ignore.insert(v.is_string() ? std::stoi(v.get<std::string>()) : v.get<int>());
            }
            params.erase("ignore");
        }
        // Choose the path whose parts are all given, preferring the one with most parts.
        std::string chosen;
        std::vector<std::string> methods;
        size_t best = 0;
        bool found = false;
        std::vector<std::pair<std::string, std::vector<std::string>>> paths;
        const Json& url = spec["url"];
        if (url["paths"].is_array() && !url["paths"].empty() && url["paths"][0].is_object()) {
            for (const auto& p : url["paths"]) {
                paths.emplace_back(p["path"].get<std::string>(),
                                   p["methods"].get<std::vector<std::string>>());
            }
        } else {
            for (const auto& p : url["paths"]) {
                paths.emplace_back(p.get<std::string>(),
                                   spec["methods"].get<std::vector<std::string>>());
            }
        }
        std::set<std::string> part_names;
        for (const auto& [path, path_methods] : paths) {
            static const std::regex kPart(R"(\{([a-z_]+)\})");
            std::vector<std::string> parts;
            for (std::sregex_iterator it(path.begin(), path.end(), kPart);
                 it != std::sregex_iterator(); ++it) {
                parts.push_back((*it)[1]);
            }
            const bool viable = std::all_of(parts.begin(), parts.end(),
                                            [&](const auto& p) { return params.contains(p); });
            if (viable && (!found || parts.size() > best)) {
                found = true;
                best = parts.size();
                chosen = path;
                methods = path_methods;
                part_names = std::set<std::string>(parts.begin(), parts.end());
            }
        }
        if (!found) throw Failure("no path of [" + api + "] matches the given parts");
        for (const auto& part : part_names) {
            chosen = std::regex_replace(chosen, std::regex("\\{" + part + "\\}"),
                                        url_encode(as_string(params[part])));
            params.erase(part);
        }
        std::string method = methods.front();
        if (has_body && (method == "GET" || method == "HEAD" || method == "DELETE") &&
            std::find(methods.begin(), methods.end(), "POST") != methods.end()) {
            method = "POST";
        }
        std::string query;
        for (const auto& [k, v] : params.items()) {
            query += (query.empty() ? "?" : "&") + url_encode(k) + "=" + url_encode(as_string(v));
        }
        httplib::Request req;
        req.method = method;
        req.path = chosen + query;
        req.headers = headers;
        if (has_body) {
            const bool ndjson = api == "bulk" || api == "msearch";
            if (ndjson && body.is_array()) {
                for (const auto& line : body) req.body += as_string(line) + "\n";
            } else if (body.is_string()) {
                req.body = body.get<std::string>();
            } else {
                req.body = body.dump();
            }
            if (!req.has_header("Content-Type")) {
                req.headers.emplace("Content-Type",
                                    ndjson ? "application/x-ndjson" : "application/json");
            }
        }
        httplib::Response res;
        httplib::Error error = httplib::Error::Success;
        if (!client_.send(req, res, error)) {
            throw Failure(
                fmt::format("{} {} failed: {}", method, req.path, httplib::to_string(error)));
        }
        body_text_ = res.body;
        stash_["body"] = res.body;
        if (method == "HEAD") {
            response_ = res.status == 200;
        } else {
            response_ = Json::parse(res.body, nullptr, false);
            if (response_.is_discarded()) response_ = res.body;
        }
        const int status = res.status;
        const std::string where = fmt::format("{} {} -> {} {}", method, req.path, status, res.body);
        if (catch_) {
            const std::map<std::string, int> named = {
                {"bad_request", 400}, {"unauthorized", 401},    {"forbidden", 403},
                {"missing", 404},     {"request_timeout", 408}, {"conflict", 409},
                {"unavailable", 503}};
            if (auto it = named.find(*catch_); it != named.end()) {
                if (status != it->second) throw Failure("expected catch " + *catch_ + ": " + where);
            } else if (*catch_ == "request") {
                if (status < 400) throw Failure("expected an error: " + where);
            } else if (catch_->size() > 1 && catch_->front() == '/') {
                const std::string pattern = catch_->substr(1, catch_->size() - 2);
                if (status < 400 || !std::regex_search(res.body, std::regex(pattern))) {
                    throw Failure("expected error matching " + *catch_ + ": " + where);
                }
            } else {
                throw Failure("unsupported catch " + *catch_);
            }
            return;
        }
        if (status >= 400 && !ignore.count(status) && !(method == "HEAD" && status == 404)) {
            throw Failure("unexpected error: " + where);
        }
    }

    /// Value at a dotted path of the last response (`\.` escapes a dot), or null when absent.
    Json lookup(const std::string& raw_path, bool required) const {
        (void)required;
        if (raw_path == "$body") return body_text_;
        std::vector<std::string> parts;
        std::string current;
        for (size_t i = 0; i < raw_path.size(); ++i) {
            if (raw_path[i] == '\\' && i + 1 < raw_path.size() && raw_path[i + 1] == '.') {
                current += '.';
                ++i;
            } else if (raw_path[i] == '.') {
                parts.push_back(current);
                current.clear();
            } else {
                current += raw_path[i];
            }
        }
        if (!raw_path.empty()) parts.push_back(current);
        const Json* node = &response_;
        for (auto part : parts) {
            const Json sub = substitute(Json(part));
            part = as_string(sub);
            if (node->is_object()) {
                auto it = node->find(part);
                if (it == node->end()) return nullptr;
                node = &*it;
            } else if (node->is_array()) {
                size_t index = 0;
                try {
                    index = std::stoul(part);
                } catch (const std::exception&) {
                    return nullptr;
                }
                if (index >= node->size()) return nullptr;
                node = &(*node)[index];
            } else {
                return nullptr;
            }
        }
        return *node;
    }

    static bool is_regex(const Json& expected) {
        if (!expected.is_string()) return false;
        const std::string text = trim(expected.get<std::string>());
        return text.size() > 1 && text.front() == '/' && text.back() == '/';
    }

    static std::string strip_comments(const std::string& pattern) {
        // Java's Pattern.COMMENTS: unescaped whitespace and #-comments are ignored.
        std::string out;
        for (size_t i = 0; i < pattern.size(); ++i) {
            const char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.size()) {
                out += c;
                out += pattern[++i];
            } else if (c == '#') {
                while (i < pattern.size() && pattern[i] != '\n') ++i;
            } else if (!std::isspace(static_cast<unsigned char>(c))) {
                out += c;
            }
        }
        return out;
    }

    static bool equal(const Json& actual, const Json& expected) {
        if (actual.is_number() && expected.is_number()) {
            if (actual.is_number_integer() && expected.is_number_integer()) {
                return actual.get<int64_t>() == expected.get<int64_t>();
            }
            return actual.get<double>() == expected.get<double>();
        }
        if (is_regex(expected)) {
            const std::string text = trim(expected.get<std::string>());
            const std::string pattern = strip_comments(text.substr(1, text.size() - 2));
            return std::regex_search(actual.is_string() ? actual.get<std::string>() : actual.dump(),
                                     std::regex(pattern));
        }
        if (actual.is_object() && expected.is_object()) {
            if (actual.size() != expected.size()) return false;
            for (const auto& [k, v] : expected.items()) {
                if (!actual.contains(k) || !equal(actual[k], v)) return false;
            }
            return true;
        }
        if (actual.is_array() && expected.is_array()) {
            if (actual.size() != expected.size()) return false;
            for (size_t i = 0; i < actual.size(); ++i) {
                if (!equal(actual[i], expected[i])) return false;
            }
            return true;
        }
        return actual == expected;
    }

    static bool truthy(const Json& value) {
        if (value.is_null()) return false;
        const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        return !(text == "false" || text == "0" || text.empty());
    }

    static bool contains_value(const Json& actual, const Json& expected) {
        if (actual.is_string() && expected.is_string()) {
            return actual.get<std::string>().find(expected.get<std::string>()) != std::string::npos;
        }
        if (!actual.is_array()) return false;
        for (const auto& item : actual) {
            if (expected.is_object() && item.is_object()) {
                bool all = true;
                for (const auto& [k, v] : expected.items()) {
                    all = all && item.contains(k) && equal(item[k], v);
                }
                if (all) return true;
            } else if (equal(item, expected)) {
                return true;
            }
        }
        return false;
    }

    void assert_step(const std::string& kind, const YAML::Node& arg) {
        if (kind == "is_true" || kind == "is_false" || kind == "exists" || kind == "not_exists") {
            const std::string path = arg.IsNull() ? "" : arg.as<std::string>();
            const Json value = lookup(path, false);
            bool ok = false;
            if (kind == "is_true") ok = truthy(value);
            if (kind == "is_false") ok = !truthy(value);
            if (kind == "exists") ok = !value.is_null();
            if (kind == "not_exists") ok = value.is_null();
            if (!ok) {
                throw Failure(fmt::format("{} [{}] failed, value: {}, response: {}", kind, path,
                                          value.dump(), response_.dump()));
            }
            return;
        }
        for (const auto& item : arg) {
            const std::string path = item.first.as<std::string>();
            const Json expected = substitute(to_json(item.second));
            const Json actual = lookup(path, true);
            bool ok = false;
            if (kind == "match") {
                ok = equal(actual, expected);
            } else if (kind == "length") {
                const int64_t size = actual.is_string()
                                         ? static_cast<int64_t>(actual.get<std::string>().size())
                                     : (actual.is_array() || actual.is_object())
                                         ? static_cast<int64_t>(actual.size())
                                         : -1;
                ok = expected.is_number() && size == expected.get<int64_t>();
            } else if (kind == "gt" || kind == "gte" || kind == "lt" || kind == "lte") {
                if (actual.is_number() && expected.is_number()) {
                    const double a = actual.get<double>();
                    const double e = expected.get<double>();
                    ok = kind == "gt"    ? a > e
                         : kind == "gte" ? a >= e
                         : kind == "lt"  ? a < e
                                         : a <= e;
                }
            } else if (kind == "contains") {
                ok = contains_value(actual, expected);
            } else {
                throw Failure("unsupported assertion [" + kind + "]");
            }
            if (!ok) {
                throw Failure(fmt::format("{} [{}] failed: expected {}, actual {}\n  response: {}",
                                          kind, path, expected.dump(), actual.dump(),
                                          response_.dump()));
            }
        }
    }

    fs::path spec_dir_;
    httplib::Client client_;
    std::map<std::string, Json> specs_;
    Json stash_ = Json::object();
    Json response_;
    std::string body_text_;
};

int run(const fs::path& root, const std::string& file) {
    if (!fs::is_directory(root / "test") || !fs::is_directory(root / "api")) {
        std::cerr << "FAIL: Elasticsearch REST tests not found at " << root
                  << " (expected <repo>/../shared/es-rest-tests with api/ and test/)\n";
        return 1;
    }
    const fs::path path = root / "test" / file;
    if (!fs::exists(path)) {
        std::cerr << "FAIL: test file " << path << " does not exist\n";
        return 1;
    }
    std::vector<YAML::Node> documents = YAML::LoadAllFromFile(path.string());
    YAML::Node setup;
    YAML::Node teardown;
    std::vector<std::pair<std::string, YAML::Node>> tests;
    for (const auto& doc : documents) {
        if (!doc.IsMap()) continue;
        for (const auto& section : doc) {
            const std::string name = section.first.as<std::string>();
            if (name == "setup") {
                setup = section.second;
            } else if (name == "teardown") {
                teardown = section.second;
            } else {
                tests.emplace_back(name, section.second);
            }
        }
    }
    kt::tools::standin::Router router;
    kt::tools::standin::HttpServer server(router, "127.0.0.1", 0);
    server.start();
    FileRunner runner(root, server.port());
    int passed = 0;
    int failed = 0;
    int skipped = 0;
    int excluded = 0;
    const auto file_skip = skip_reason(setup) ? skip_reason(setup) : skip_reason(teardown);
    for (const auto& [name, steps] : tests) {
        if (auto it = kExcluded.find(file); it != kExcluded.end() && it->second.count(name)) {
            std::cout << "EXCLUDED " << file << " \"" << name << "\": " << it->second.at(name)
                      << "\n";
            ++excluded;
            continue;
        }
        auto reason = file_skip ? file_skip : skip_reason(steps);
        if (reason) {
            std::cout << "SKIPPED  " << file << " \"" << name << "\": " << *reason << "\n";
            ++skipped;
            continue;
        }
        runner.reset();
        try {
            runner.run_steps(setup);
            runner.run_steps(steps);
            runner.run_steps(teardown);
            std::cout << "PASSED   " << file << " \"" << name << "\"\n";
            ++passed;
        } catch (const std::exception& error) {
            std::cout << "FAILED   " << file << " \"" << name << "\": " << error.what() << "\n";
            ++failed;
        }
        runner.wipe();
    }
    server.stop();
    std::cout << fmt::format("{}: {} passed, {} failed, {} skipped, {} excluded\n", file, passed,
                             failed, skipped, excluded);
    return failed == 0 ? 0 : 1;
}

}  // namespace kt::tests::standin

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: kt_standin_rest_tests <es-rest-tests dir> <file under test/>\n";
        return 2;
    }
    return kt::tests::standin::run(argv[1], argv[2]);
}
