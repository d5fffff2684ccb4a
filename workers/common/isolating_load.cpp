#include "workers/common/isolating_load.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <utility>

namespace kt::workers {

namespace {

void load_into(std::vector<std::string> ids, const LoadFn& load, IsolatedLoad& out) {
    if (ids.empty()) return;
    try {
        out.results.push_back(load(ids));
        out.slice_ids.push_back(std::move(ids));
    } catch (const pg::IdRejected& e) {
        if (ids.size() == 1) {
            out.rejected.push_back(RejectedId{
                std::move(ids.front()),
                fmt::format("id rejected by the query (SQLSTATE {}): {}", e.sqlstate(), e.what())});
            return;
        }
        const auto mid = ids.begin() + static_cast<std::ptrdiff_t>(ids.size() / 2);
        load_into({ids.begin(), mid}, load, out);
        load_into({mid, ids.end()}, load, out);
    }
}

}  // namespace

IsolatedLoad load_isolating(std::vector<std::string> ids, const LoadFn& load) {
    IsolatedLoad out;
    load_into(std::move(ids), load, out);
    return out;
}

}  // namespace kt::workers
