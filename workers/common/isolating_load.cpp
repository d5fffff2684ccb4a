#include "workers/common/isolating_load.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <utility>

namespace kt::workers {

void run_isolating(std::vector<std::string> ids, const IdsFn& run,
                   std::vector<RejectedId>& rejected) {
    if (ids.empty()) return;
    try {
        run(ids);
    } catch (const pg::IdRejected& e) {
        if (ids.size() == 1) {
            rejected.push_back(RejectedId{
                std::move(ids.front()),
                fmt::format("id rejected by the query (SQLSTATE {}): {}", e.sqlstate(), e.what())});
            return;
        }
        const auto mid = ids.begin() + static_cast<std::ptrdiff_t>(ids.size() / 2);
        run_isolating({ids.begin(), mid}, run, rejected);
        run_isolating({mid, ids.end()}, run, rejected);
    }
}

IsolatedLoad load_isolating(std::vector<std::string> ids, const LoadFn& load) {
    IsolatedLoad out;
    run_isolating(
        std::move(ids),
        [&](std::vector<std::string>& some) {
            out.results.push_back(load(some));
            out.slice_ids.push_back(std::move(some));
        },
        out.rejected);
    return out;
}

}  // namespace kt::workers
