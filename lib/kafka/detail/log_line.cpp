#include "lib/kafka/detail/log_line.hpp"

namespace kt::kafka::detail {

std::string_view without_thread_prefix(std::string_view message) noexcept {
    if (message.starts_with("[thrd:")) {
        if (const auto end = message.find("]: "); end != std::string_view::npos) {
            message.remove_prefix(end + 3);
        }
    }
    return message;
}

std::string repeat_key(std::string_view message) {
    message = without_thread_prefix(message);
    std::string key;
    key.reserve(message.size());
    int depth = 0;
    for (const char c : message) {
        if (c == '(') {
            ++depth;
        } else if (c == ')' && depth > 0) {
            --depth;
        } else if (depth == 0) {
            key += c;
        }
    }
    while (!key.empty() && key.back() == ' ') key.pop_back();
    return key;
}

}  // namespace kt::kafka::detail
