#include "lib/es/engine_version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace kt::es {

namespace {

enum class Engine { kElasticsearch, kOpenSearch, kOther };

struct MajorMinor {
    int major = 0;
    int minor = 0;
};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

Engine engine_of(std::string_view distribution) {
    if (distribution.empty() || equals_ignoring_case(distribution, "default")) {
        return Engine::kElasticsearch;
    }
    if (equals_ignoring_case(distribution, "opensearch")) return Engine::kOpenSearch;
    return Engine::kOther;
}

/// Reads the decimal number at the start of `text` and drops it; nullopt when there is none.
std::optional<int> take_number(std::string_view& text) {
    if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front())) == 0) {
        return std::nullopt;
    }
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc()) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return value;
}

/// `major.minor` at the start of `number`, followed by its end or any non-digit.
std::optional<MajorMinor> major_minor(std::string_view number) {
    const auto major = take_number(number);
    if (!major || number.empty() || number.front() != '.') return std::nullopt;
    number.remove_prefix(1);
    const auto minor = take_number(number);
    if (!minor) return std::nullopt;
    return MajorMinor{*major, *minor};
}

bool supported(Engine engine, const MajorMinor& v) {
    switch (engine) {
        case Engine::kElasticsearch:
            return v.major == 8;
        case Engine::kOpenSearch:
            return v.major == 2;
        case Engine::kOther:
            return false;
    }
    return false;
}

}  // namespace

EngineVerdict judge_engine(std::string_view distribution, std::string_view number) {
    const Engine engine = engine_of(distribution);
    const std::string name = engine == Engine::kElasticsearch ? "Elasticsearch"
                             : engine == Engine::kOpenSearch  ? "OpenSearch"
                                                              : std::string(distribution);
    EngineVerdict verdict;
    verdict.product =
        number.empty() ? name + " of unknown version" : name + " " + std::string(number);
    const auto version = major_minor(number);
    verdict.supported = version && supported(engine, *version);
    if (!verdict.supported) {
        verdict.warning = fmt::format("{} is not a version kt is tested with (tested: {})",
                                      verdict.product, kTestedEngines);
    }
    return verdict;
}

}  // namespace kt::es
