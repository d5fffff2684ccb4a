#include "cmd/kt/verify.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "lib/app/options_from_config.hpp"
#include "lib/error.hpp"
#include "lib/pg/scan_source.hpp"
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

void print_foreign(std::FILE* out, const std::string& index,
                   const std::vector<workers::ForeignDocument>& foreign, const GlobalOptions& given,
                   std::size_t examples) {
    fmt::print(out, "written outside kt: {}", foreign.size());
    if (!foreign.empty()) {
        fmt::print(out, " (e.g.");
        for (std::size_t i = 0; i < foreign.size() && i < examples; ++i) {
            fmt::print(out, " {} at version {}", foreign[i].id, foreign[i].version);
            if (i + 1 < foreign.size() && i + 1 < examples) fmt::print(out, ",");
        }
        if (foreign.size() > examples) fmt::print(out, " …");
        fmt::print(out, ")");
    }
    fmt::print(out, "\n");
    const auto ahead = static_cast<std::size_t>(std::count_if(
        foreign.begin(), foreign.end(), [](const auto& doc) { return doc.ahead; }));
    if (ahead > 0) {
        fmt::print(out,
                   "  {} of them ahead of PostgreSQL: another writer set an external version "
                   "above any kt writes, so no kt write can replace them; `{}` rebuilds "
                   "the index\n",
                   ahead, suggest_command(given, "reindex", {index}));
    }
}

}  // namespace

void print_verify_report(std::FILE* out, const std::string& index,
                         const workers::VerifyReport& report, const GlobalOptions& given,
                         std::size_t examples) {
    fmt::print(out, "verify {}: {} row(s) in PostgreSQL, {} document(s) in Elasticsearch\n", index,
               report.rows, report.documents);
    print_line(out, "missing", report.missing, examples);
    print_line(out, "extra", report.extra, examples);
    print_line(out, "stale", report.stale, examples);
    print_foreign(out, index, report.foreign, given, examples);
}

int run_verify(const config::Config& config, const std::string& index, bool fix,
               const GlobalOptions& given) {
    const config::IndexConfig* entry = config.find_index(index);
    if (entry == nullptr) {
        fmt::print(stderr, "kt verify: no index '{}' in {}\n", index, config.path);
        return 2;
    }
    const pg::IndexSource source = app::pg_source(*entry);
    if (const pg::ScanChoice scan = pg::choose_scan(source);
        scan.origin == pg::ScanOrigin::kRefused) {
        fmt::print(stderr, "kt verify: {}\n", pg::scan_refusal_message(source, scan));
        return 2;
    }
    try {
        workers::Verifier verifier(config, *entry);
        const workers::VerifyReport report = verifier.compare();
        print_verify_report(stdout, index, report, given);
        if (report.clean()) {
            fmt::print("{}: the index equals the table\n", index);
            return 0;
        }
        if (!fix) {
            fmt::print("{}: the index differs from the table (`{}` repairs it)\n", index,
                       suggest_command(given, "verify", {index, "--fix"}));
            return 1;
        }
        const workers::IdsResult fixed = verifier.fix(report);
        fmt::print("fixed: {} document(s) indexed, {} deleted", fixed.indexed, fixed.deleted);
        if (fixed.foreign > 0) {
            fmt::print("; {} met another writer's version", fixed.foreign);
        }
        fmt::print("\n");
        for (const std::string& failure : fixed.failed) {
            fmt::print(stderr, "not fixed: {}\n", failure);
        }
        for (const workers::RejectedId& rejected : fixed.rejected) {
            fmt::print(stderr, "not fixed: {}: {}\n", rejected.id, rejected.reason);
        }
        for (const workers::Unrepaired& left : fixed.unrepaired) {
            fmt::print(stderr, "not fixed: {}: {} (version {})\n", left.id,
                       left.ahead ? "another writer's external version is ahead of PostgreSQL"
                                  : "another writer changed it again meanwhile",
                       left.version);
        }
        // Written is not the same as equal (a newer external version keeps its document, a
        // refused item stays): only a second comparison tells.
        const workers::VerifyReport after = verifier.compare();
        if (after.clean()) {
            fmt::print("{}: the index now equals the table\n", index);
            return 0;
        }
        fmt::print("after fixing:\n");
        print_verify_report(stdout, index, after, given);
        fmt::print("{}: the index still differs from the table\n", index);
        return 1;
    } catch (const Error& e) {
        fmt::print(stderr, "kt verify {}: {}\n", index, e.what());
        return 1;
    }
}

}  // namespace kt::cmd
