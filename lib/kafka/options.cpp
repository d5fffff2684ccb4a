#include "lib/kafka/options.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace kt::kafka {

Options Options::from_config(const config::KafkaConfig& config, std::string group_id) {
    Options options;
    options.brokers = config.brokers;
    options.group_id = std::move(group_id);
    options.properties = config.properties;
    return options;
}

std::string group_id(const config::KafkaConfig& config, std::string_view worker,
                     std::string_view name) {
    return fmt::format("{}.{}.{}", config.group_prefix, worker, name);
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
