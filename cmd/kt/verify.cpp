#include "cmd/kt/verify.hpp"

#include <fmt/format.h>

#include "lib/error.hpp"
#include "workers/verify/verifier.hpp"

namespace kt::cmd {

namespace {

void print_line(std::FILE* out, const char* what, const std::vector<std::string>& ids,
                std::size_t examples) {
    fmt::print(out, "{}: {}", what, ids.size());
    if (!ids.empty()) {
        fmt::print(out, " (e.g.");
        for (std::size_t i = 0; i < ids.size() && i < examples; ++i) fmt::print(out, " {}", ids[i]);
        if (ids.size() > examples) fmt::print(out, " …");
        fmt::print(out, ")");
    }
    fmt::print(out, "\n");
}

}  // namespace

void print_verify_report(std::FILE* out, const std::string& index,
                         const workers::VerifyReport& report, std::size_t examples) {
    fmt::print(out, "verify {}: {} row(s) in PostgreSQL, {} document(s) in Elasticsearch\n", index,
               report.rows, report.documents);
    print_line(out, "missing", report.missing, examples);
    print_line(out, "extra", report.extra, examples);
    print_line(out, "stale", report.stale, examples);
}

int run_verify(const config::Config& config, const std::string& index, bool fix) {
    const config::IndexConfig* entry = config.find_index(index);
    if (entry == nullptr) {
        fmt::print(stderr, "kt verify: no index '{}' in {}\n", index, config.path);
        return 2;
    }
    if (entry->table.empty() && entry->scan_query.empty()) {
        fmt::print(stderr,
                   "kt verify: index '{}' has a query: but no scan_query: (a query returning id "
                   "and doc for every row), so its rows cannot be read\n",
                   index);
        return 2;
    }
    try {
        workers::Verifier verifier(config, *entry);
        const workers::VerifyReport report = verifier.compare();
        print_verify_report(stdout, index, report);
        if (report.clean()) {
            fmt::print("{}: the index equals the table\n", index);
            return 0;
        }
        if (!fix) {
            fmt::print("{}: the index differs from the table (kt verify {} --fix repairs it)\n",
                       index, index);
            return 1;
        }
        const workers::IdsResult fixed = verifier.fix(report);
        fmt::print("fixed: {} document(s) indexed, {} deleted\n", fixed.indexed, fixed.deleted);
        for (const std::string& failure : fixed.failed) {
            fmt::print(stderr, "not fixed: {}\n", failure);
        }
        for (const workers::RejectedId& rejected : fixed.rejected) {
            fmt::print(stderr, "not fixed: {}: {}\n", rejected.id, rejected.reason);
        }
        // Written is not the same as equal (a newer external version keeps its document, a
        // refused item stays): only a second comparison tells.
        const workers::VerifyReport after = verifier.compare();
        if (after.clean()) {
            fmt::print("{}: the index now equals the table\n", index);
            return 0;
        }
        fmt::print("after fixing:\n");
        print_verify_report(stdout, index, after);
        fmt::print("{}: the index still differs from the table\n", index);
        return 1;
    } catch (const Error& e) {
        fmt::print(stderr, "kt verify {}: {}\n", index, e.what());
        return 1;
    }
}

}  // namespace kt::cmd
