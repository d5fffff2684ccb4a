#include "lib/kafka/options.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace kt::kafka {

std::string group_id(std::string_view group_prefix, std::string_view worker,
                     std::string_view name) {
    return fmt::format("{}.{}.{}", group_prefix, worker, name);
}

bool is_secret_property(std::string_view name) noexcept {
    static constexpr std::array<std::string_view, 7> kSecretParts = {
        "password", "secret", "jaas", "oauthbearer.config", "token", ".pem", "key"};
    for (const auto part : kSecretParts) {
        if (name.find(part) != std::string_view::npos) return true;
    }
    return false;
}

std::string redact(std::string text, std::string_view secret) {
    if (secret.empty()) return text;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
        text.replace(pos, secret.size(), "***");
    }
    return text;
}

}  // namespace kt::kafka
