#include "lib/config/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lib/config/duration.hpp"
#include "lib/config/redact.hpp"

namespace kt::config {

namespace {

namespace fs = std::filesystem;

int line_of(const YAML::Node& node) {
    const auto mark = node.Mark();
    return mark.line < 0 ? 0 : mark.line + 1;
}

const char* kind_name(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map: return "a map";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Scalar: return "a scalar";
        case YAML::NodeType::Null: return "nothing";
        default: return "an undefined value";
    }
}

std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

/// Walks the YAML tree, collecting every problem instead of stopping at the first.
class Reader {
public:
    Reader(const EnvLookup& env, std::vector<Problem>& problems) : env_(env), problems_(problems) {}

    /// Records a problem. A variable's value (8 characters or more) brought into a value never
    /// shows in it: its reference `${NAME}` does, wherever the value ended up (a misplaced
    /// password, a URL in a path); URL passwords are redacted too.
    void problem(const std::string& path, int line, const std::string& message) {
        std::string text = message;
        for (const auto& [value, reference] : expanded_) {
            for (auto at = text.find(value); at != std::string::npos;
                 at = text.find(value, at + reference.size())) {
                text.replace(at, value.size(), reference);
            }
        }
        problems_.push_back({path, line, redact(text)});
    }

    /// True when `node` is a map; otherwise records a problem.
    bool expect_map(const YAML::Node& node, const std::string& path) {
        if (node.IsMap()) return true;
        problem(path, line_of(node), fmt::format("expected a map, got {}", kind_name(node)));
        return false;
    }

    /// Records every key that `map` has more than once: YAML readers disagree on which one
    /// wins, so kt refuses to guess.
    void reject_duplicates(const YAML::Node& map, const std::string& path) {
        std::set<std::string> seen;
        for (const auto& kv : map) {
            const std::string key = kv.first.Scalar();
            if (!seen.insert(key).second) {
                problem(join(path, key), line_of(kv.first), "duplicate key");
            }
        }
    }

    /// Records every key of `map` that is not in `allowed`, and every duplicate key.
    void reject_unknown(const YAML::Node& map, const std::string& path,
                        std::initializer_list<std::string_view> allowed) {
        reject_duplicates(map, path);
        for (const auto& kv : map) {
            const std::string key = kv.first.Scalar();
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                std::string known;
                for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
                problem(join(path, key), line_of(kv.first),
                        fmt::format("unknown key (expected one of: {})", known));
            }
        }
    }

    /// The interpolated text of a scalar child, nullopt when absent (or on a problem).
    std::optional<std::string> string(const YAML::Node& map, const std::string& path,
                                      const std::string& key, bool required) {
        const YAML::Node node = map[key];
        const std::string full = join(path, key);
        if (!node.IsDefined() || node.IsNull()) {
            if (required) problem(full, line_of(map), "missing required key");
            return std::nullopt;
        }
        if (!node.IsScalar()) {
            problem(full, line_of(node), fmt::format("expected a string, got {}", kind_name(node)));
            return std::nullopt;
        }
        return expand(node, full);
    }

    std::optional<std::string> expand(const YAML::Node& scalar, const std::string& path) {
        remember_variables(scalar.Scalar());
        Interpolated r = interpolate(scalar.Scalar(), env_);
        if (!r.problems.empty()) {
            for (const auto& p : r.problems) problem(path, line_of(scalar), p);
            return std::nullopt;
        }
        return std::move(r.value);
    }

    std::optional<int> integer(const YAML::Node& map, const std::string& path,
                               const std::string& key, int min, int max) {
        const auto text = string(map, path, key, false);
        if (!text) return std::nullopt;
        int value = 0;
        const auto* end = text->data() + text->size();
        const auto [ptr, ec] = std::from_chars(text->data(), end, value);
        const int line = line_of(map[key]);
        if (ec != std::errc() || ptr != end) {
            problem(join(path, key), line,
                    fmt::format("expected an integer, got '{}'", as_written(map[key], *text)));
            return std::nullopt;
        }
        if (value < min || value > max) {
            problem(join(path, key), line,
                    fmt::format("must be between {} and {}, got {}", min, max, value));
            return std::nullopt;
        }
        return value;
    }

    std::optional<bool> boolean(const YAML::Node& map, const std::string& path,
                                const std::string& key) {
        const auto text = string(map, path, key, false);
        if (!text) return std::nullopt;
        if (*text == "true") return true;
        if (*text == "false") return false;
        problem(join(path, key), line_of(map[key]),
                fmt::format("expected true or false, got '{}'", as_written(map[key], *text)));
        return std::nullopt;
    }

    std::optional<Duration> duration(const YAML::Node& map, const std::string& path,
                                     const std::string& key, bool required, bool positive) {
        const auto text = string(map, path, key, required);
        if (!text) return std::nullopt;
        const auto d = parse_duration(*text);
        const int line = line_of(map[key]);
        if (!d) {
            problem(join(path, key), line,
                    fmt::format("bad duration '{}' (write e.g. 250ms, 30s, 5m, 1h)",
                                as_written(map[key], *text)));
            return std::nullopt;
        }
        if (positive && d->count() <= 0) {
            problem(join(path, key), line, "must be greater than zero");
            return std::nullopt;
        }
        return d;
    }

    /// How a value appears in messages: as written in the file when variables were expanded
    /// into it (`${ES_PASSWORD}`), so a secret in a misplaced variable is never echoed.
    static std::string as_written(const YAML::Node& scalar, const std::string& value) {
        return scalar.Scalar() == value ? value : scalar.Scalar();
    }

private:
    /// Notes the values of the variables `text` refers to, for problem() to keep out of messages.
    void remember_variables(std::string_view text) {
        constexpr std::size_t kMinSecret = 8;
        for (std::size_t i = text.find("${"); i != std::string_view::npos;
             i = text.find("${", i + 2)) {
            if (i > 0 && text[i - 1] == '$') continue;  // `$${` is a literal
            const std::size_t close = text.find('}', i);
            if (close == std::string_view::npos) return;
            const std::string_view inner = text.substr(i + 2, close - i - 2);
            const std::string name(inner.substr(0, inner.find(":-")));
            if (const auto value = env_(name); value && value->size() >= kMinSecret) {
                expanded_.emplace(*value, "${" + name + "}");
            }
        }
    }

    const EnvLookup& env_;
    std::vector<Problem>& problems_;
    std::map<std::string, std::string> expanded_;  ///< variable value -> `${NAME}`
};

bool valid_index_name(std::string_view name) {
    if (name.empty() || name.size() > 200 || name == "." || name == "..") return false;
    if (name[0] == '-' || name[0] == '_' || name[0] == '+') return false;
    return std::none_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || std::string_view("\\/*?\"<>| ,#:").find(c) !=
                                             std::string_view::npos;
    });
}

bool valid_topic_name(std::string_view name) {
    if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

class Loader {
public:
    Loader(const EnvLookup& env, std::string base_dir)
        : reader_(env, problems_), base_dir_(std::move(base_dir)) {}

    std::vector<Problem>& problems() { return problems_; }

    Config load(const YAML::Node& root) {
        Config cfg;
        if (!root.IsDefined() || root.IsNull()) {
            reader_.problem("", 1, "the file is empty");
            return cfg;
        }
        if (!reader_.expect_map(root, "")) return cfg;
        reader_.reject_unknown(root, "", {"kafka", "postgres", "elasticsearch", "indexes",
                                          "delayers", "cascades", "capture"});
        for (const char* section : {"kafka", "postgres", "elasticsearch", "indexes"}) {
            if (!root[section].IsDefined()) {
                reader_.problem(section, 1, "missing required section");
            }
        }
        if (root["kafka"].IsDefined()) load_kafka(root["kafka"], cfg.kafka);
        if (root["postgres"].IsDefined()) load_postgres(root["postgres"], cfg.postgres);
        if (root["elasticsearch"].IsDefined()) load_es(root["elasticsearch"], cfg.elasticsearch);
        if (root["indexes"].IsDefined()) load_indexes(root["indexes"], cfg.indexes);
        if (root["delayers"].IsDefined() && !root["delayers"].IsNull()) {
            load_delayers(root["delayers"], cfg.delayers);
        }
        if (root["cascades"].IsDefined() && !root["cascades"].IsNull()) {
            load_cascades(root["cascades"], cfg.cascades);
        }
        if (root["capture"].IsDefined()) load_capture(root["capture"], cfg);
        cross_check(cfg);
        return cfg;
    }

private:
    void load_kafka(const YAML::Node& node, KafkaConfig& out) {
        const std::string path = "kafka";
        if (!reader_.expect_map(node, path)) return;
        reader_.reject_unknown(node, path, {"brokers", "group_prefix", "properties"});
        if (auto v = reader_.string(node, path, "brokers", true)) {
            if (v->empty()) {
                reader_.problem("kafka.brokers", line_of(node["brokers"]), "must not be empty");
            }
            out.brokers = *v;
        }
        if (auto v = reader_.string(node, path, "group_prefix", false)) {
            if (v->empty() || !valid_topic_name(*v)) {
                reader_.problem("kafka.group_prefix", line_of(node["group_prefix"]),
                                "must be non-empty letters, digits, '.', '_' or '-'");
            }
            out.group_prefix = *v;
        }
        const YAML::Node props = node["properties"];
        if (props.IsDefined() && !props.IsNull()) {
            if (!reader_.expect_map(props, "kafka.properties")) return;
            reader_.reject_duplicates(props, "kafka.properties");
            for (const auto& kv : props) {
                const std::string key = kv.first.Scalar();
                const std::string full = "kafka.properties." + key;
                if (!kv.second.IsScalar()) {
                    reader_.problem(full, line_of(kv.second),
                                    fmt::format("expected a scalar, got {}", kind_name(kv.second)));
                    continue;
                }
                if (key == "group.id" || key == "enable.auto.commit" ||
                    key == "enable.auto.offset.store") {
                    reader_.problem(full, line_of(kv.first),
                                    "is managed by kt and cannot be set here");
                    continue;
                }
                if (auto v = reader_.expand(kv.second, full)) out.properties[key] = *v;
            }
        }
    }

    void load_postgres(const YAML::Node& node, PostgresConfig& out) {
        if (!reader_.expect_map(node, "postgres")) return;
        reader_.reject_unknown(node, "postgres", {"url"});
        if (auto v = reader_.string(node, "postgres", "url", true)) {
            if (v->empty()) {
                reader_.problem("postgres.url", line_of(node["url"]),
                                "must not be empty (is KT_POSTGRES_URL set?)");
            }
            out.url = *v;
        }
    }

    void load_es(const YAML::Node& node, ElasticsearchConfig& out) {
        const std::string path = "elasticsearch";
        if (!reader_.expect_map(node, path)) return;
        reader_.reject_unknown(node, path, {"url", "username", "password", "api_key", "ca_file",
                                            "timeout", "compression"});
        if (auto v = reader_.string(node, path, "url", true)) {
            if (!v->starts_with("http://") && !v->starts_with("https://")) {
                reader_.problem("elasticsearch.url", line_of(node["url"]),
                                fmt::format("must start with http:// or https://, got '{}'",
                                            Reader::as_written(node["url"], *v)));
            }
            while (!v->empty() && v->back() == '/') v->pop_back();
            out.url = *v;
        }
        out.username = reader_.string(node, path, "username", false);
        out.password = reader_.string(node, path, "password", false);
        out.api_key = reader_.string(node, path, "api_key", false);
        std::string ca_shown;
        if (auto v = reader_.string(node, path, "ca_file", false)) {
            out.ca_file = resolve(*v);
            ca_shown = shown_path(node["ca_file"], *v, *out.ca_file);
        }
        if (auto d = reader_.duration(node, path, "timeout", false, true)) out.timeout = *d;
        if (auto b = reader_.boolean(node, path, "compression")) out.compression = *b;
        if (out.username.has_value() != out.password.has_value()) {
            reader_.problem(out.username ? "elasticsearch.password" : "elasticsearch.username",
                            line_of(node), "username and password must be set together");
        }
        if (out.api_key && out.username) {
            reader_.problem("elasticsearch.api_key", line_of(node["api_key"]),
                            "use either api_key or username/password, not both");
        }
        if (out.ca_file && !fs::exists(*out.ca_file)) {
            reader_.problem("elasticsearch.ca_file", line_of(node["ca_file"]),
                            fmt::format("file not found: {}", ca_shown));
        }
    }

    void load_indexes(const YAML::Node& node, std::vector<IndexConfig>& out) {
        if (node.IsNull()) {
            reader_.problem("indexes", line_of(node), "must name at least one index");
            return;
        }
        if (!reader_.expect_map(node, "indexes")) return;
        reader_.reject_duplicates(node, "indexes");
        for (const auto& kv : node) {
            IndexConfig ix;
            ix.name = kv.first.Scalar();
            const std::string path = "indexes." + ix.name;
            if (!valid_index_name(ix.name)) {
                reader_.problem(path, line_of(kv.first),
                                "not a valid Elasticsearch index name (lower case, no spaces or "
                                "\\/*?\"<>|,#:, not starting with -, _ or +)");
            }
            const YAML::Node v = kv.second;
            if (!reader_.expect_map(v, path)) continue;
            reader_.reject_unknown(v, path,
                                   {"topic", "query", "table", "scan_query", "mappings_file",
                                    "batch_size", "batch_wait", "dead_letter_topic"});
            ix.topic = reader_.string(v, path, "topic", false).value_or(ix.name);
            check_topic(ix.topic, path + ".topic", line_of(v["topic"].IsDefined() ? v["topic"] : v));
            const auto query = reader_.string(v, path, "query", false);
            const auto table = reader_.string(v, path, "table", false);
            if (query && table) {
                reader_.problem(path + ".table", line_of(v["table"]),
                                "set either query or table, not both");
            } else if (!query && !table && !given(v["query"]) && !given(v["table"])) {
                // (A value given but unusable was reported already; `table: null` is none.)
                reader_.problem(path + ".query", line_of(v),
                                "missing required key (or the table: shorthand)");
            }
            if (query) {
                check_query(*query, path + ".query", line_of(v["query"]));
                ix.query = *query;
            }
            if (table) {
                if (table->empty()) {
                    reader_.problem(path + ".table", line_of(v["table"]), "must not be empty");
                }
                ix.table = *table;
            }
            if (auto scan = reader_.string(v, path, "scan_query", false)) {
                const int scan_line = line_of(v["scan_query"]);
                if (table) {
                    reader_.problem(path + ".scan_query", scan_line,
                                    "only with query: (table: generates its own scan)");
                } else if (scan->find_first_not_of(" \t\r\n") == std::string::npos) {
                    reader_.problem(path + ".scan_query", scan_line, "must not be empty");
                } else if (scan->find("$1") != std::string::npos) {
                    reader_.problem(path + ".scan_query", scan_line,
                                    "must take no parameter ($1): it returns every row");
                }
                ix.scan_query = *scan;
            }
            if (auto f = reader_.string(v, path, "mappings_file", false)) {
                const YAML::Node written = v["mappings_file"];
                ix.mappings_file = resolve(*f);
                check_json_file(ix.mappings_file, shown_path(written, *f, ix.mappings_file),
                                path + ".mappings_file", line_of(written));
            }
            ix.dead_letter_topic =
                reader_.string(v, path, "dead_letter_topic", false).value_or(ix.topic + ".dlq");
            if (auto n = reader_.integer(v, path, "batch_size", 1, 100'000)) ix.batch_size = *n;
            if (auto d = reader_.duration(v, path, "batch_wait", false, false)) ix.batch_wait = *d;
            out.push_back(std::move(ix));
        }
    }

    void load_delayers(const YAML::Node& node, std::vector<DelayerConfig>& out) {
        if (!reader_.expect_map(node, "delayers")) return;
        reader_.reject_duplicates(node, "delayers");
        for (const auto& kv : node) {
            DelayerConfig d;
            d.name = kv.first.Scalar();
            const std::string path = "delayers." + d.name;
            const YAML::Node v = kv.second;
            lines_[path] = line_of(kv.first);
            if (!reader_.expect_map(v, path)) continue;
            reader_.reject_unknown(v, path, {"delay", "target", "next", "topic",
                                             "dead_letter_topic"});
            d.topic = reader_.string(v, path, "topic", false).value_or(d.name);
            check_topic(d.topic, path + ".topic", line_of(v));
            if (auto delay = reader_.duration(v, path, "delay", true, true)) d.delay = *delay;
            d.target = reader_.string(v, path, "target", true).value_or("");
            d.next = reader_.string(v, path, "next", false).value_or("");
            d.dead_letter_topic =
                reader_.string(v, path, "dead_letter_topic", false).value_or(d.topic + ".dlq");
            lines_[path + ".target"] = line_of(v["target"].IsDefined() ? v["target"] : v);
            lines_[path + ".next"] = line_of(v["next"].IsDefined() ? v["next"] : v);
            out.push_back(std::move(d));
        }
    }

    void load_cascades(const YAML::Node& node, std::vector<CascadeConfig>& out) {
        if (!reader_.expect_map(node, "cascades")) return;
        reader_.reject_duplicates(node, "cascades");
        for (const auto& kv : node) {
            CascadeConfig c;
            c.name = kv.first.Scalar();
            const std::string path = "cascades." + c.name;
            const YAML::Node v = kv.second;
            lines_[path] = line_of(kv.first);
            if (!reader_.expect_map(v, path)) continue;
            reader_.reject_unknown(v, path, {"topic", "query", "target", "batch_size",
                                             "batch_wait", "dead_letter_topic"});
            c.topic = reader_.string(v, path, "topic", true).value_or("");
            if (!c.topic.empty()) check_topic(c.topic, path + ".topic", line_of(v["topic"]));
            if (auto q = reader_.string(v, path, "query", true)) {
                check_query(*q, path + ".query", line_of(v["query"]));
                c.query = *q;
            }
            c.target = reader_.string(v, path, "target", true).value_or("");
            lines_[path + ".target"] = line_of(v["target"].IsDefined() ? v["target"] : v);
            c.dead_letter_topic =
                reader_.string(v, path, "dead_letter_topic", false).value_or(c.topic + ".dlq");
            if (auto n = reader_.integer(v, path, "batch_size", 1, 100'000)) c.batch_size = *n;
            if (auto d = reader_.duration(v, path, "batch_wait", false, false)) c.batch_wait = *d;
            out.push_back(std::move(c));
        }
    }

    void load_capture(const YAML::Node& node, Config& cfg) {
        const std::string path = "capture";
        CaptureConfig out;
        if (!node.IsNull()) {
            if (!reader_.expect_map(node, path)) return;
            reader_.reject_unknown(node, path, {"slot", "publication", "heartbeat", "tables"});
            for (const char* key : {"slot", "publication"}) {
                const auto name = reader_.string(node, path, key, false);
                if (!name) continue;
                if (!valid_slot_name(*name)) {
                    reader_.problem(path + "." + key, line_of(node[key]),
                                    fmt::format("'{}' is not a valid name (lower-case letters, "
                                                "digits and _, at most 63)",
                                                *name));
                }
                (std::string_view(key) == "slot" ? out.slot : out.publication) = *name;
            }
            if (auto d = reader_.duration(node, path, "heartbeat", false, true)) out.heartbeat = *d;
            if (node["tables"].IsDefined() && !node["tables"].IsNull()) {
                load_capture_tables(node["tables"], cfg, out.tables);
            }
        }
        cfg.capture = std::move(out);
    }

    void load_capture_tables(const YAML::Node& node, const Config& cfg,
                             std::vector<CaptureTableConfig>& out) {
        if (!reader_.expect_map(node, "capture.tables")) return;
        reader_.reject_duplicates(node, "capture.tables");
        for (const auto& kv : node) {
            CaptureTableConfig t;
            t.table = kv.first.Scalar();
            const std::string path = "capture.tables." + t.table;
            const YAML::Node v = kv.second;
            if (!reader_.expect_map(v, path)) continue;
            reader_.reject_unknown(v, path, {"index", "query"});
            t.index = reader_.string(v, path, "index", true).value_or("");
            if (!t.index.empty() && cfg.find_index(t.index) == nullptr) {
                std::string known;
                for (const auto& ix : cfg.indexes) known += (known.empty() ? "" : ", ") + ix.name;
                reader_.problem(path + ".index", line_of(v["index"]),
                                fmt::format("'{}' is not an index (known: {})", t.index,
                                            known.empty() ? "none" : known));
            }
            if (auto q = reader_.string(v, path, "query", true)) {
                check_query(*q, path + ".query", line_of(v["query"]));
                t.query = *q;
            }
            out.push_back(std::move(t));
        }
    }

    /// PostgreSQL's rule for replication slot names, used for the publication too.
    static bool valid_slot_name(const std::string& name) {
        if (name.empty() || name.size() > 63) return false;
        return std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        });
    }

    void cross_check(const Config& cfg) {
        std::set<std::string> topics;
        std::map<std::string, std::string> topic_owner;
        for (const auto& ix : cfg.indexes) {
            topics.insert(ix.topic);
            auto [it, fresh] = topic_owner.emplace(ix.topic, "indexes." + ix.name);
            if (!fresh) {
                reader_.problem("indexes." + ix.name + ".topic", 0,
                                fmt::format("topic '{}' is already used by {}", ix.topic,
                                            it->second));
            }
        }
        std::string known;
        for (const auto& t : topics) known += (known.empty() ? "" : ", ") + t;
        if (known.empty()) known = "none";

        for (const auto& d : cfg.delayers) {
            const std::string path = "delayers." + d.name;
            if (topics.count(d.topic) != 0) {
                reader_.problem(path + ".topic", lines_[path],
                                fmt::format("delay topic '{}' is also a model topic", d.topic));
            }
            if (!d.target.empty() && topics.count(d.target) == 0) {
                reader_.problem(path + ".target", lines_[path + ".target"],
                                fmt::format("'{}' is not the topic of any index (known: {})",
                                            d.target, known));
            }
            if (!d.next.empty() && cfg.find_delayer(d.next) == nullptr) {
                reader_.problem(path + ".next", lines_[path + ".next"],
                                fmt::format("'{}' is not a delayer", d.next));
            }
        }
        // A chain of `next` must end: a loop would forward envelopes forever.
        for (const auto& d : cfg.delayers) {
            std::set<std::string> seen{d.name};
            const DelayerConfig* cur = &d;
            while (!cur->next.empty()) {
                cur = cfg.find_delayer(cur->next);
                if (cur == nullptr) break;
                if (!seen.insert(cur->name).second) {
                    reader_.problem("delayers." + d.name + ".next", lines_["delayers." + d.name + ".next"],
                                    "the chain of next delayers loops back on itself");
                    break;
                }
            }
        }

        std::map<std::string, std::vector<const CascadeConfig*>> edges;
        for (const auto& c : cfg.cascades) {
            const std::string path = "cascades." + c.name;
            if (!c.target.empty() && topics.count(c.target) == 0) {
                reader_.problem(path + ".target", lines_[path + ".target"],
                                fmt::format("'{}' is not the topic of any index (known: {})",
                                            c.target, known));
            }
            edges[c.topic].push_back(&c);
        }
        // Cycles among cascades: following topic -> target must never come back.
        std::set<std::string> reported;
        for (const auto& c : cfg.cascades) {
            std::vector<std::string> stack{c.target};
            std::set<std::string> visited;
            bool cycle = false;
            while (!stack.empty() && !cycle) {
                const std::string t = stack.back();
                stack.pop_back();
                if (t == c.topic) cycle = true;
                if (!visited.insert(t).second) continue;
                for (const auto* next : edges[t]) stack.push_back(next->target);
            }
            if (cycle && reported.insert(c.name).second) {
                reader_.problem("cascades." + c.name, lines_["cascades." + c.name],
                                fmt::format("cascades form a cycle: '{}' leads back to its own "
                                            "topic '{}'",
                                            c.name, c.topic));
            }
        }
    }

    static bool given(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

    void check_topic(const std::string& topic, const std::string& path, int line) {
        if (!valid_topic_name(topic)) {
            reader_.problem(path, line,
                            fmt::format("'{}' is not a valid Kafka topic name", topic));
        }
    }

    void check_query(const std::string& query, const std::string& path, int line) {
        if (query.find("$1") == std::string::npos) {
            reader_.problem(path, line, "must use $1 (the text[] of ids)");
        }
    }

    /// A path for messages: as resolved, or as written when variables were expanded into it
    /// (a secret in a misplaced variable is never echoed, whatever the path normalisation).
    static std::string shown_path(const YAML::Node& node, const std::string& value,
                                  const std::string& resolved) {
        return node.Scalar() == value ? resolved : node.Scalar();
    }

    void check_json_file(const std::string& file, const std::string& shown,
                         const std::string& path, int line) {
        std::error_code error;
        if (!fs::exists(file, error)) {
            reader_.problem(path, line, fmt::format("file not found: {}", shown));
            return;
        }
        // A directory opens as a stream on Linux and throws once read.
        if (!fs::is_regular_file(file, error)) {
            reader_.problem(path, line, fmt::format("not a regular file: {}", shown));
            return;
        }
        std::ifstream in(file);
        if (!in) {
            reader_.problem(path, line, fmt::format("cannot read the file: {}", shown));
            return;
        }
        try {
            const auto j = nlohmann::json::parse(in);
            if (!j.is_object()) reader_.problem(path, line, "must hold a JSON object");
        } catch (const nlohmann::json::exception& e) {
            reader_.problem(path, line, fmt::format("not valid JSON: {}", e.what()));
        } catch (const std::exception& e) {
            reader_.problem(path, line, fmt::format("cannot read the file {}: {}", shown, e.what()));
        }
    }

    std::string resolve(const std::string& p) const {
        if (p.empty() || fs::path(p).is_absolute() || base_dir_.empty()) return p;
        return (fs::path(base_dir_) / p).lexically_normal().string();
    }

    std::vector<Problem> problems_;
    Reader reader_;
    std::string base_dir_;
    std::map<std::string, int> lines_;
};

}  // namespace

ConfigError::ConfigError(std::string file, std::vector<Problem> problems)
    : Error([&] {
          std::string what = fmt::format("invalid config {}:", file);
          for (const auto& p : problems) {
              what += fmt::format("\n  line {}: {}: {}", p.line, p.path.empty() ? "(file)" : p.path,
                                  p.message);
          }
          return what;
      }()),
      file_(std::move(file)),
      problems_(std::move(problems)) {}

std::vector<std::string> ConfigError::lines() const {
    std::vector<std::string> out;
    for (const auto& p : problems_) {
        out.push_back(fmt::format("{}:{}: {}: {}", file_, p.line,
                                  p.path.empty() ? "(file)" : p.path, p.message));
    }
    return out;
}

Config load_string(std::string_view yaml, const std::string& name, const std::string& base_dir,
                   const EnvLookup& env) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        throw ConfigError(name, {{"", e.mark.line < 0 ? 0 : e.mark.line + 1,
                                  fmt::format("not valid YAML: {}", e.msg)}});
    }
    Loader loader(env, base_dir);
    Config cfg = loader.load(root);
    auto& problems = loader.problems();
    if (!problems.empty()) {
        std::stable_sort(problems.begin(), problems.end(),
                         [](const Problem& a, const Problem& b) { return a.line < b.line; });
        throw ConfigError(name, std::move(problems));
    }
    cfg.path = name;
    return cfg;
}

Config load_file(const std::string& path, const EnvLookup& env) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
        throw ConfigError(path, {{"", 0, "is a directory, not a config file"}});
    }
    std::ifstream in(path);
    if (!in) throw ConfigError(path, {{"", 0, "cannot read the file (does it exist?)"}});
    std::stringstream buffer;
    buffer << in.rdbuf();
    const fs::path parent = fs::path(path).parent_path();
    return load_string(buffer.str(), path, parent.empty() ? "." : parent.string(), env);
}

std::string default_config_path(const EnvLookup& env) {
    if (auto v = env("KT_CONFIG"); v && !v->empty()) return *v;
    return "config/kt.yaml";
}

}  // namespace kt::config
