#include "tests/fuzz/targets.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <set>

#include "lib/config/loader.hpp"
#include "lib/wire/messages.hpp"
#include "workers/delayer/envelope.hpp"
#include "workers/common/message_parser.hpp"

namespace kt::fuzz {

namespace {

using Json = nlohmann::json;

/// simdjson's default nesting limit, which kt keeps on every path.
constexpr std::size_t kDepthLimit = 1024;

/// What an independent strict reader (nlohmann's SAX parser) makes of a JSON text: whether it
/// is JSON, how deep it nests, and the first top-level `id` member.
struct Reference {
    enum class Kind { kNone, kInteger, kFraction, kString, kOther };
    bool json = false;
    std::size_t depth = 0;
    bool object = false;
    Kind kind = Kind::kNone;
    std::string id;  ///< kInteger: canonical decimal; kString: content; kFraction: token
};

class ReferenceReader {
public:
    explicit ReferenceReader(Reference& out) : out_(out) {}

    bool null() { return scalar(Reference::Kind::kOther, {}); }
    bool boolean(bool /*v*/) { return scalar(Reference::Kind::kOther, {}); }
    bool number_integer(Json::number_integer_t v) {
        return scalar(Reference::Kind::kInteger, std::to_string(v));
    }
    bool number_unsigned(Json::number_unsigned_t v) {
        return scalar(Reference::Kind::kInteger, std::to_string(v));
    }
    bool number_float(Json::number_float_t /*v*/, const Json::string_t& token) {
        const bool integer = token.find_first_of(".eE") == std::string::npos;
        return scalar(integer ? Reference::Kind::kInteger : Reference::Kind::kFraction, token);
    }
    bool string(Json::string_t& v) { return scalar(Reference::Kind::kString, v); }
    bool binary(Json::binary_t& /*v*/) { return scalar(Reference::Kind::kOther, {}); }
    bool start_object(std::size_t /*n*/) {
        if (depth_ == 0) out_.object = true;
        return open();
    }
    bool key(Json::string_t& k) {
        want_ = depth_ == 1 && !seen_ && k == "id";
        return true;
    }
    bool end_object() { return close(); }
    bool start_array(std::size_t /*n*/) { return open(); }
    bool end_array() { return close(); }
    bool parse_error(std::size_t /*pos*/, const std::string& /*token*/,
                     const nlohmann::detail::exception& /*e*/) {
        return false;
    }

private:
    bool scalar(Reference::Kind kind, std::string text) {
        if (want_) take(kind, std::move(text));
        return true;
    }
    bool open() {
        if (want_) take(Reference::Kind::kOther, {});
        out_.depth = std::max(out_.depth, ++depth_);
        return true;
    }
    bool close() {
        --depth_;
        return true;
    }
    void take(Reference::Kind kind, std::string text) {
        out_.kind = kind;
        out_.id = std::move(text);
        seen_ = true;
        want_ = false;
    }

    Reference& out_;
    std::size_t depth_ = 0;
    bool want_ = false;
    bool seen_ = false;
};

Reference read_reference(std::string_view text) {
    Reference out;
    if (text.starts_with("\xEF\xBB\xBF")) return out;  // kt takes no byte order mark
    // nlohmann's reader stops at a NUL byte; raw NUL is never valid JSON text.
    if (text.find('\0') != std::string_view::npos) return out;
    ReferenceReader reader(out);
    try {
        out.json = Json::sax_parse(text.begin(), text.end(), &reader, Json::input_format_t::json,
                                   true, false);
    } catch (const std::exception&) {
        out.json = false;
    }
    return out;
}

/// What MessageParser must answer for `input`: the id, or nullopt for poison.
std::optional<std::string> expected_id(std::string_view input) {
    if (input.empty() || input.size() > workers::kMaxMessageBytes) return std::nullopt;
    const Reference ref = read_reference(input);
    if (!ref.json || ref.depth > kDepthLimit || !ref.object) return std::nullopt;
    switch (ref.kind) {
        case Reference::Kind::kInteger: return ref.id;
        case Reference::Kind::kString:
            if (ref.id.empty() || ref.id.size() > workers::kMaxIdBytes ||
                ref.id.find('\0') != std::string::npos) {
                return std::nullopt;
            }
            return ref.id;
        default: return std::nullopt;
    }
}

std::string shown(std::string_view text) {
    constexpr std::size_t kMax = 200;
    std::string out;
    for (const char ch : text.substr(0, kMax)) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += ch;
        } else {
            out += fmt::format("\\x{:02x}", c);
        }
    }
    if (text.size() > kMax) out += fmt::format("... ({} bytes)", text.size());
    return out;
}

std::string describe(const workers::ParsedMessage& m) {
    return m.ok ? fmt::format("ok id '{}'", shown(m.id)) : fmt::format("poison ({})", m.reason);
}

/// Parses `input` into `first` and again into `again`; returns what was thrown, or nullopt.
template <class Parser, class Parsed>
std::optional<std::string> parse_twice(Parser& parser, std::string_view input, Parsed& first,
                                       Parsed& again) {
    try {
        first = parser.parse(input);
        again = parser.parse(input);
    } catch (const std::exception& e) {
        return fmt::format("parse threw: {}", e.what());
    } catch (...) {
        return std::string("parse threw a non-standard exception");
    }
    return std::nullopt;
}

}  // namespace

int fuzz_one(const std::uint8_t* data, std::size_t size,
             std::optional<std::string> (*check)(std::string_view)) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (const auto broken = check(input)) {
        std::fprintf(stderr, "invariant broken: %s\n", broken->c_str());
        std::abort();
    }
    return 0;
}

std::optional<std::string> check_message(std::string_view input) {
    thread_local workers::MessageParser parser;
    workers::ParsedMessage first;
    workers::ParsedMessage again;
    if (auto threw = parse_twice(parser, input, first, again)) return threw;
    if (first.ok != again.ok || first.id != again.id || first.reason != again.reason) {
        return fmt::format("a second parse differs: {} then {}", describe(first), describe(again));
    }
    if (first.ok && (first.id.empty() || !first.reason.empty())) {
        return fmt::format("accepted with an empty id or a reason: {}", describe(first));
    }
    if (!first.ok && (first.reason.empty() || !first.id.empty())) {
        return fmt::format("poison without a reason or with an id '{}'", shown(first.id));
    }
    const auto expected = expected_id(input);
    if (expected.has_value() != first.ok || (expected && *expected != first.id)) {
        return fmt::format("parser says {}, a reference JSON reader says {}", describe(first),
                           expected ? fmt::format("id '{}'", shown(*expected)) : "poison");
    }
    if (first.ok) {
        const std::string produced = wire::instant_message(first.id);
        const workers::ParsedMessage back = parser.parse(produced);
        if (!back.ok || back.id != first.id) {
            return fmt::format("id '{}' does not round-trip: kt produces {}, read back as {}",
                               shown(first.id), shown(produced), describe(back));
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_envelope(std::string_view input) {
    thread_local workers::EnvelopeParser parser;
    thread_local workers::MessageParser message_parser;
    workers::ParsedEnvelope env;
    workers::ParsedEnvelope again;
    if (auto threw = parse_twice(parser, input, env, again)) return threw;
    if (env.ok != again.ok || env.id != again.id || env.reason != again.reason ||
        env.payload_pos != again.payload_pos || env.payload_len != again.payload_len ||
        env.topic != again.topic || env.created_at.has_value() != again.created_at.has_value()) {
        return std::string("a second parse of the same value differs");
    }
    if (!env.ok) {
        if (env.reason.empty()) return std::string("poison without a reason");
        return std::nullopt;
    }
    if (!env.reason.empty()) return fmt::format("accepted with a reason: {}", env.reason);
    const Reference ref = read_reference(input);
    if (!ref.json || ref.depth > kDepthLimit || !ref.object) {
        return std::string("accepted, but a reference JSON reader says it is not a JSON object");
    }
    if (env.payload_pos > input.size() || env.payload_len > input.size() - env.payload_pos) {
        return fmt::format("payload slice {}+{} outside the {}-byte value", env.payload_pos,
                           env.payload_len, input.size());
    }
    const std::string_view payload = input.substr(env.payload_pos, env.payload_len);
    const Reference payload_ref = read_reference(payload);
    if (!payload_ref.json || !payload_ref.object) {
        return fmt::format("payload slice '{}' is not a JSON object", shown(payload));
    }
    const workers::ParsedMessage m = message_parser.parse(payload);
    if (!m.ok || m.id != env.id) {
        return fmt::format("envelope id '{}', but the indexer reads its payload '{}' as {}",
                           shown(env.id), shown(payload), describe(m));
    }
    if (env.topic && !workers::is_valid_topic_name(*env.topic)) {
        return fmt::format("accepted invalid topic '{}'", shown(*env.topic));
    }
    if (env.created_at && !std::isfinite(*env.created_at)) {
        return std::string("accepted a created_at that is not finite");
    }
    return std::nullopt;
}

namespace {

std::string& base_dir() {
#ifdef KT_SOURCE_DIR
    static std::string dir = KT_SOURCE_DIR "/config";
#else
    static std::string dir = "config";
#endif
    return dir;
}

/// The environment fuzzed configs see: two of its values are secrets.
const std::map<std::string, std::string>& fake_env() {
    static const std::map<std::string, std::string> env{
        {"KT_KAFKA_BROKERS", "localhost:9092"},
        {"KT_POSTGRES_URL", "postgresql://kt:pg-Secret-7@db:5432/kt"},
        {"KT_ELASTICSEARCH_URL", "http://localhost:9200"},
        {"KT_ES_PASSWORD", "es-Secret-9"},
        {"EMPTY", ""},
    };
    return env;
}
constexpr std::string_view kSecrets[] = {"pg-Secret-7", "es-Secret-9"};

config::EnvLookup env_lookup() {
    return [](const std::string& name) -> std::optional<std::string> {
        const auto it = fake_env().find(name);
        if (it == fake_env().end()) return std::nullopt;
        return it->second;
    };
}

/// The outcome of one load, as text: every problem line, or a summary of the config.
struct Outcome {
    bool ok = false;
    std::string text;
    std::optional<std::string> broken;
};

std::optional<std::string> check_loaded(const config::Config& cfg) {
    if (cfg.indexes.empty()) return "accepted a config without indexes";
    std::set<std::string> names;
    std::set<std::string> topics;
    for (const auto& ix : cfg.indexes) {
        if (!names.insert(ix.name).second) return fmt::format("index '{}' twice", ix.name);
        if (!workers::is_valid_topic_name(ix.topic)) {
            return fmt::format("index '{}' has invalid topic '{}'", ix.name, shown(ix.topic));
        }
        if (!topics.insert(ix.topic).second) return fmt::format("topic '{}' twice", ix.topic);
        if (ix.query.empty() == ix.table.empty()) {
            return fmt::format("index '{}' needs exactly one of query and table", ix.name);
        }
        if (!ix.query.empty() && ix.query.find("$1") == std::string::npos) {
            return fmt::format("index '{}' query without $1", ix.name);
        }
        if (ix.batch_size < 1 || ix.batch_size > 100'000 || ix.batch_wait.count() < 0) {
            return fmt::format("index '{}' batch settings out of range", ix.name);
        }
        if (ix.dead_letter_topic.empty()) return fmt::format("index '{}' without DLQ", ix.name);
    }
    std::set<std::string> delayers;
    for (const auto& d : cfg.delayers) {
        if (!delayers.insert(d.name).second) return fmt::format("delayer '{}' twice", d.name);
        if (d.delay.count() <= 0) return fmt::format("delayer '{}' delay <= 0", d.name);
        if (topics.count(d.target) == 0) {
            return fmt::format("delayer '{}' targets unknown topic '{}'", d.name, d.target);
        }
        if (topics.count(d.topic) != 0) return fmt::format("delayer '{}' on a model topic", d.name);
        if (!d.next.empty() && cfg.find_delayer(d.next) == nullptr) {
            return fmt::format("delayer '{}' next unknown", d.name);
        }
    }
    std::set<std::string> cascades;
    for (const auto& c : cfg.cascades) {
        if (!cascades.insert(c.name).second) return fmt::format("cascade '{}' twice", c.name);
        if (topics.count(c.target) == 0) return fmt::format("cascade '{}' target unknown", c.name);
        if (c.query.find("$1") == std::string::npos) {
            return fmt::format("cascade '{}' query without $1", c.name);
        }
    }
    const auto& url = cfg.elasticsearch.url;
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
        return fmt::format("accepted elasticsearch.url '{}'", shown(url));
    }
    return std::nullopt;
}

Outcome load_once(std::string_view input) {
    Outcome out;
    const std::size_t lines = static_cast<std::size_t>(std::count(input.begin(), input.end(), '\n'));
    try {
        const config::Config cfg = config::load_string(input, "fuzz.yaml", base_dir(), env_lookup());
        out.ok = true;
        out.broken = check_loaded(cfg);
        out.text = fmt::format("{} index(es), {} delayer(s), {} cascade(s)", cfg.indexes.size(),
                               cfg.delayers.size(), cfg.cascades.size());
    } catch (const config::ConfigError& e) {
        if (e.problems().empty()) out.broken = "ConfigError without problems";
        if (e.lines().size() != e.problems().size()) out.broken = "lines() and problems() differ";
        for (const auto& p : e.problems()) {
            if (p.message.empty()) out.broken = "a problem without a message";
            if (p.line < 0 || static_cast<std::size_t>(p.line) > lines + 2) {
                out.broken = fmt::format("problem '{}' on line {} of a {}-line file", p.message,
                                         p.line, lines + 1);
            }
        }
        for (const auto& line : e.lines()) out.text += line + "\n";
        out.text += e.what();
    } catch (const std::exception& e) {
        out.broken = fmt::format("threw something other than ConfigError: {}", e.what());
    } catch (...) {
        out.broken = "threw a non-standard exception";
    }
    for (const auto secret : kSecrets) {
        if (!out.broken && out.text.find(secret) != std::string::npos &&
            input.find(secret) == std::string_view::npos) {
            out.broken = fmt::format("a secret of the environment is printed: {}", out.text);
        }
    }
    return out;
}

}  // namespace

void set_config_base_dir(std::string dir) {
    base_dir() = std::move(dir);
}

std::optional<std::string> check_config(std::string_view input) {
    const Outcome first = load_once(input);
    if (first.broken) return first.broken;
    const Outcome again = load_once(input);
    if (again.ok != first.ok || again.text != first.text) {
        return fmt::format("a second load differs:\n{}\nthen:\n{}", first.text, again.text);
    }
    return std::nullopt;
}

}  // namespace kt::fuzz
