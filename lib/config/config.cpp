#include "lib/config/config.hpp"

#include <algorithm>

namespace kt::config {

namespace {
template <typename T>
const T* find_by_name(const std::vector<T>& items, const std::string& name) {
    for (const auto& item : items) {
        if (item.name == name) return &item;
    }
    return nullptr;
}
}  // namespace

const IndexConfig* Config::find_index(const std::string& name) const {
    return find_by_name(indexes, name);
}
const DelayerConfig* Config::find_delayer(const std::string& name) const {
    return find_by_name(delayers, name);
}
const CascadeConfig* Config::find_cascade(const std::string& name) const {
    return find_by_name(cascades, name);
}

const DelayerConfig* Config::first_delay_stage(const std::string& topic) const {
    for (const auto& d : delayers) {
        if (d.target != topic) continue;
        const bool is_next = std::any_of(delayers.begin(), delayers.end(),
                                         [&](const auto& other) { return other.next == d.name; });
        if (!is_next) return &d;
    }
    return nullptr;
}

}  // namespace kt::config
