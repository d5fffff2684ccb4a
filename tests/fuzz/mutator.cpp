#include "tests/fuzz/mutator.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace kt::fuzz {

namespace {

/// Ids at the edges of the wire format: 64-bit limits, signs, fractions, exponents, SQL,
/// quotes, escapes, bad UTF-8, the 512-byte limit.
const std::vector<std::string> kIds{
    "0", "42", "-7", "-0", "007", "1.0", "1.5", "-0.0", "1e3", "1E+2", "2e-5", "1e400",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "18446744073709551615", "18446744073709551616",
    "123456789012345678901234567890", "-99999999999999999999", "true", "null", "{}", "[]",
    "[42]", "{\"id\":1}", R"("sku-1")", R"("42")", R"("007")", R"("")", R"(" ")",
    R"("1; DROP TABLE x")", R"("' OR '1'='1")", R"("Robert'); DROP TABLE students;--")",
    R"("\"quoted\"")", R"("back\\slash")", R"("caf\u00e9")", R"("\u0000")", R"("a\u0000b")",
    R"("\ud800")", R"("\udc00x")", R"("\ud83d\ude00")", R"("\uD83D\uDE00")", R"("\x41")",
    "\"caf\xc3\xa9\"", "\"\xff\xfe\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
    "\"tab\there\"", "\"new\nline\"", "\"$1\"", "\"%s%n\"", "\"../../etc/passwd\"",
};

const std::vector<std::string> kKeys{
    "id", "id", "id", "ID", "Id", "\\u0069d", "i\\u0064", "id ", " id", "\"id\"", "cascaded",
    "payload", "created_at", "topic", "pad", "", "\\u0000", "caf\xc3\xa9", "\xff",
};

const std::vector<std::string> kTopics{
    R"("products")", R"("delay_5m")", R"("a.b-c_D9")", R"("")", R"(".")", R"("..")",
    R"("bad topic")", R"("products; DROP TABLE x")", R"("caf\u00e9")", "\"\xff\"",
    R"("\u0000")", "null", "42", "[]", "{}",
};

const std::vector<std::string> kCreatedAt{
    "1764650000.123456", "1764650000", "0", "-1", "1e300", "-1e300", "1e400", "null",
    "\"1764650000\"", "true", "[]", "1.7976931348623157e308", "2e-308", "-0",
    "123456789012345678901234567890",
};

/// Lines a config file could plausibly (or implausibly) contain.
const std::vector<std::string> kYamlLines{
    "indexes:", "  products:", "    table: products", "    topic: products",
    "    query: SELECT id, doc FROM t WHERE id = ANY($1)", "    batch_size: 0",
    "    batch_size: 100001", "    batch_size: -1", "    batch_size: 99999999999999999999",
    "    batch_size: ${KT_ES_PASSWORD}", "    batch_wait: ${KT_POSTGRES_URL}",
    "    batch_wait: 1h30m", "    batch_wait: 99999999999999999999h", "    delay: 0s",
    "    target: nowhere", "    next: delay_5m", "    mappings_file: /etc/passwd",
    "    mappings_file: ../../../../etc/shadow", "delayers:", "  delay_5m: {delay: 5m, target: products}",
    "  loop: {delay: 1m, target: products, next: loop}", "cascades:",
    "  c: {topic: brands, target: products, query: SELECT 1 WHERE $1 IS NULL}",
    "kafka:", "  brokers: ${KT_KAFKA_BROKERS}", "  properties: {group.id: x}",
    "  properties: {a: [1, 2]}", "postgres:", "  url: ${KT_POSTGRES_URL}",
    "  url: ${KT_ES_PASSWORD}", "elasticsearch:", "  url: ${KT_POSTGRES_URL}",
    "  url: ${UNSET_VARIABLE}", "  url: ${EMPTY:-http://x}", "  url: $${literal}",
    "  url: ${", "  password: ${KT_ES_PASSWORD}", "  username: elastic", "  timeout: 0s",
    "  compression: yes", "  ca_file: /nonexistent.pem", "x: &a [1, 2]", "y: *a", "z: *undefined",
    "? [a, b]", ": c", "- item", "---", "...", "%YAML 1.2", "!!binary aGVsbG8=", "key: !!int 12",
    "  \"quoted key\": 1", "  'single': 2", "  {a: 1}: 3", "\t tab: indented",
    "key: \xff\xfe", "key: caf\xc3\xa9", "key: |", "  block", "key: >-", "[", "{", "]", "}",
    "\"", "'", "&anchor", "*alias", "<<: *a", "#comment", "", "   ",
};

const std::vector<std::string> kScalars{
    "0", "-1", "1e3", "99999999999999999999", "", "~", "null", "true", "yes", "[]", "{}",
    "${KT_ES_PASSWORD}", "${KT_POSTGRES_URL}", "${UNSET}", "${EMPTY:-x}", "${", "$${x}",
    "\"\\x41\"", "'it''s'", "\xff", "products", "5m", "0ms", "1h30m", "-5m", "*a", "&a x",
    "SELECT 1", "SELECT $1", "http://u:p@h:1/x", ".", "..", "a b", "UPPER",
};

const std::string kInterestingBytes =
    std::string("{}[]\":,\\-+.eE0123456789 \t\n\r") + '\0' + "\xff\xc3\xa9\xed\xa0\x80";

}  // namespace

std::size_t Mutator::below(std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
}

std::string Mutator::pick(const std::vector<std::string>& options) {
    return options[below(options.size())];
}

std::string Mutator::space() {
    static const std::vector<std::string> spaces{"", "", "", " ", "\n", "\t", "\r\n  "};
    return pick(spaces);
}

std::string Mutator::json_string() {
    switch (below(4)) {
        case 0: return pick(kIds);  // may not be a string at all: that is the point
        case 1: {
            // Around the 512-byte id limit.
            static const std::size_t kSizes[] = {511, 512, 513, 2000};
            return "\"" + std::string(kSizes[below(4)], static_cast<char>('a' + below(26))) + "\"";
        }
        default: return fmt::format("\"s{}\"", below(1000));
    }
}

std::string Mutator::key() {
    return "\"" + pick(kKeys) + "\"";
}

std::string Mutator::id_value() {
    if (one_in(6)) return json_string();
    return pick(kIds);
}

std::string Mutator::json_value(int depth) {
    const std::size_t choice = below(depth > 4 ? 4 : 7);
    switch (choice) {
        case 0: return pick(kIds);
        case 1: return json_string();
        case 2: return std::to_string(static_cast<std::int64_t>(rng_()));
        case 3: return pick(kCreatedAt);
        case 4: {
            std::string out = "[";
            const std::size_t n = below(4);
            for (std::size_t i = 0; i < n; ++i) {
                out += (i ? "," : "") + space() + json_value(depth + 1);
            }
            return out + "]";
        }
        case 5: {
            // Nesting around simdjson's 1024 levels.
            static const std::size_t kDepths[] = {3, 1000, 1023, 1024, 1025, 2000};
            const std::size_t levels = kDepths[below(6)];
            return std::string(levels, '[') + std::string(levels, ']');
        }
        default: {
            std::vector<std::string> members;
            const std::size_t n = below(4);
            for (std::size_t i = 0; i < n; ++i) members.push_back(key() + ":" + json_value(depth + 1));
            return object(std::move(members));
        }
    }
}

std::string Mutator::object(std::vector<std::string> members) {
    std::shuffle(members.begin(), members.end(), rng_);
    std::string out = "{" + space();
    for (std::size_t i = 0; i < members.size(); ++i) {
        out += (i ? "," + space() : "") + members[i];
    }
    return out + space() + "}";
}

std::string Mutator::message() {
    std::vector<std::string> members;
    const std::size_t ids = below(8) == 0 ? 0 : (one_in(8) ? 2 : 1);
    for (std::size_t i = 0; i < ids; ++i) members.push_back("\"id\":" + space() + id_value());
    if (one_in(3)) members.push_back("\"cascaded\":" + pick({"true", "false", "1", "\"yes\""}));
    const std::size_t extra = below(3);
    for (std::size_t i = 0; i < extra; ++i) members.push_back(key() + ":" + json_value(1));
    std::string out = space() + object(std::move(members)) + space();
    if (one_in(20)) out = "[" + out + "]";
    if (one_in(30)) out = "\xEF\xBB\xBF" + out;
    return out;
}

std::string Mutator::envelope() {
    std::vector<std::string> members;
    if (!one_in(10)) {
        std::string payload = one_in(10) ? json_value(1) : message();
        members.push_back("\"payload\":" + space() + payload);
        if (one_in(10)) members.push_back("\"payload\":" + message());
    }
    if (!one_in(4)) members.push_back("\"created_at\":" + pick(kCreatedAt));
    if (!one_in(4)) members.push_back("\"topic\":" + pick(kTopics));
    if (one_in(10)) members.push_back("\"topic\":" + pick(kTopics));
    if (one_in(3)) members.push_back(key() + ":" + json_value(1));
    return space() + object(std::move(members)) + space();
}

std::string Mutator::yaml(std::string text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = text.find('\n', start);
        lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    const std::size_t edits = 1 + below(4);
    for (std::size_t e = 0; e < edits && !lines.empty(); ++e) {
        const std::size_t i = below(lines.size());
        switch (below(7)) {
            case 0: lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i)); break;
            case 1: lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), lines[i]); break;
            case 2:
                if (i + 1 < lines.size()) std::swap(lines[i], lines[i + 1]);
                break;
            case 3:
                lines[i] = (one_in(2) ? "  " : "") +
                           lines[i].substr(one_in(2) ? std::min<std::size_t>(2, lines[i].size()) : 0);
                break;
            case 4: {
                const std::size_t colon = lines[i].find(": ");
                if (colon != std::string::npos) lines[i] = lines[i].substr(0, colon + 2) + pick(kScalars);
                break;
            }
            default:
                lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), pick(kYamlLines));
                break;
        }
    }
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
    return out;
}

std::string Mutator::bytes(std::string input, std::string_view other) {
    const std::size_t edits = 1 + below(4);
    for (std::size_t e = 0; e < edits; ++e) {
        const std::size_t at = below(input.size() + 1);
        switch (below(6)) {
            case 0:
                if (at < input.size()) input[at] = static_cast<char>(input[at] ^ (1 << below(8)));
                break;
            case 1: input.insert(at, 1, kInterestingBytes[below(kInterestingBytes.size())]); break;
            case 2: input.erase(at, below(8)); break;
            case 3: input.resize(at); break;
            case 4: {
                const std::size_t from = below(other.size() + 1);
                input.insert(at, other.substr(from, below(32)));
                break;
            }
            default:
                if (at < input.size()) input.insert(at, input.substr(at, below(16)));
                break;
        }
    }
    return input;
}

}  // namespace kt::fuzz
