#include "lib/config/interpolate.hpp"

#include <cctype>
#include <cstdlib>

namespace kt::config {

namespace {
bool valid_name(std::string_view name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    }
    return true;
}
}  // namespace

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

Interpolated interpolate(std::string_view text, const EnvLookup& env) {
    Interpolated out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text.compare(i, 3, "$${") == 0) {
            out.value += "${";
            i += 3;
            continue;
        }
        if (text.compare(i, 2, "${") != 0) {
            out.value += text[i++];
            continue;
        }
        const std::size_t close = text.find('}', i + 2);
        if (close == std::string_view::npos) {
            out.problems.emplace_back("unterminated '${' (write '$${' for a literal '${')");
            out.value.append(text.substr(i));
            break;
        }
        const std::string_view inner = text.substr(i + 2, close - i - 2);
        const std::size_t sep = inner.find(":-");
        const std::string_view name = inner.substr(0, sep);
        if (!valid_name(name)) {
            out.problems.push_back("invalid variable reference '${" + std::string(inner) + "}'");
        } else {
            const auto value = env(std::string(name));
            if (sep != std::string_view::npos) {
                out.value += (value && !value->empty()) ? *value : std::string(inner.substr(sep + 2));
            } else if (value) {
                out.value += *value;
            } else {
                out.problems.push_back("environment variable " + std::string(name) +
                                       " is not set and has no default (write ${" +
                                       std::string(name) + ":-default})");
            }
        }
        i = close + 1;
    }
    return out;
}

}  // namespace kt::config
