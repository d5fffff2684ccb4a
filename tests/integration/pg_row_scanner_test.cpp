// RowScanner against the real PostgreSQL: slices of one exported snapshot read one state, and
// together every row exactly once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <map>
#include <string>
#include <vector>

#include "lib/pg/row_scanner.hpp"
#include "lib/pg/snapshot.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/test_env.hpp"

namespace kt::pg {
namespace {

using nlohmann::json;

/// A table `(id <key type> PRIMARY KEY, n int)` with rows 1..`rows`, n = 0, dropped at the end.
class ScanTable : public test::Fixture {
public:
    ScanTable(const std::string& key_type, int rows) : Fixture("scan") {
        create_tables(
            fmt::format("CREATE TABLE {} (id {} PRIMARY KEY, n int NOT NULL)", name(), key_type),
            {name()});
        exec(fmt::format("INSERT INTO {} SELECT i, 0 FROM generate_series(1, {}) i", name(), rows));
    }
};

IndexSource table_index(const std::string& table) {
    IndexSource index;
    index.name = table;
    index.table = table;
    return index;
}

IndexSource scan_query_index(const std::string& table) {
    IndexSource index = table_index(table);
    index.table.clear();
    index.query = fmt::format(
        "SELECT id, jsonb_build_object('n', n) AS doc FROM {} WHERE id = ANY($1::bigint[])", table);
    index.scan_query = fmt::format("SELECT id, jsonb_build_object('n', n) AS doc FROM {}", table);
    return index;
}

/// Scans `slices` slices of `index`, each with its own scanner; returns how often each id came.
std::map<std::string, int> scan_slices(const IndexSource& index, ScanRequest request,
                                       int slices, std::map<std::string, json>& docs,
                                       std::vector<std::int64_t>& versions) {
    std::map<std::string, int> seen;
    for (int s = 0; s < slices; ++s) {
        RowScanner scanner(index, test::postgres_url());
        request.slice = s;
        request.slices = slices;
        const ScanResult result = scanner.scan(request, [&](std::span<const Row> rows) {
            for (const Row& row : rows) {
                ++seen[row.id];
                docs[row.id] = json::parse(row.doc);
            }
        });
        versions.push_back(result.version);
    }
    return seen;
}

TEST(PgRowScanner, SlicesOfAnExportedSnapshotSeeOneStateAndEveryRowOnce) {
    for (const std::string key_type : {"bigint", "text"}) {
        for (const bool shorthand : {true, false}) {
            if (!shorthand && key_type == "text") continue;
            SCOPED_TRACE(fmt::format("key {} shorthand {}", key_type, shorthand));
            ScanTable table(key_type, 1000);
            const IndexSource index =
                shorthand ? table_index(table.name()) : scan_query_index(table.name());
            ExportedSnapshot snapshot(test::postgres_url());
            // Committed by another session after the snapshot was taken.
            table.exec(fmt::format("UPDATE {} SET n = 1 WHERE id IN ('1', '600')", table.name()));
            table.exec(fmt::format("DELETE FROM {} WHERE id = '500'", table.name()));
            table.exec(fmt::format("INSERT INTO {} VALUES ('1001', 1)", table.name()));

            ScanRequest request;
            request.chunk_size = 64;
            request.snapshot_id = snapshot.id();
            std::map<std::string, json> docs;
            std::vector<std::int64_t> versions;
            const auto seen = scan_slices(index, request, 2, docs, versions);
            EXPECT_EQ(seen.size(), 1000U);
            for (int id = 1; id <= 1000; ++id) {
                const auto it = seen.find(std::to_string(id));
                ASSERT_NE(it, seen.end()) << "row " << id << " missing";
                EXPECT_EQ(it->second, 1) << "row " << id << " read more than once";
            }
            EXPECT_EQ(seen.count("1001"), 0U);
            EXPECT_EQ(docs.at("1").at("n"), 0);
            EXPECT_EQ(docs.at("600").at("n"), 0);
            EXPECT_EQ(versions,
                      (std::vector<std::int64_t>{snapshot.version(), snapshot.version()}));

            // Without the snapshot the slices see the committed changes: they are real.
            std::map<std::string, json> now;
            std::vector<std::int64_t> now_versions;
            const auto seen_now = scan_slices(index, ScanRequest{}, 2, now, now_versions);
            EXPECT_EQ(seen_now.size(), 1000U);
            EXPECT_EQ(seen_now.count("500"), 0U);
            EXPECT_EQ(now.at("1").at("n"), 1);
        }
    }
}

TEST(PgRowScanner, TheExportingTransactionMayEndOnceTheScanHoldsTheSnapshot) {
    ScanTable table("bigint", 300);
    const IndexSource index = table_index(table.name());
    ExportedSnapshot snapshot(test::postgres_url());
    table.exec(fmt::format("UPDATE {} SET n = 1", table.name()));
    ScanRequest request;
    request.chunk_size = 50;
    request.snapshot_id = snapshot.id();
    int called = 0;
    request.on_snapshot = [&] {
        ++called;
        snapshot.release();
    };
    RowScanner scanner(index, test::postgres_url());
    std::size_t old_rows = 0;
    const ScanResult result = scanner.scan(request, [&](std::span<const Row> rows) {
        for (const Row& row : rows) {
            if (json::parse(row.doc).at("n") == 0) ++old_rows;
        }
    });
    EXPECT_EQ(called, 1);
    EXPECT_EQ(result.rows, 300U);
    EXPECT_EQ(old_rows, 300U);  // the released snapshot still held for this scan
    // Released for good: a new import fails.
    ScanRequest late;
    late.snapshot_id = snapshot.id();
    EXPECT_ANY_THROW((void)scanner.scan(late, [](std::span<const Row>) {}));
}

}  // namespace
}  // namespace kt::pg
