#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/pg/scan_source.hpp"

namespace kt::pg {
namespace {

using ::testing::HasSubstr;

IndexSource by_query(std::string query, std::string scan_query = {}) {
    return IndexSource{"products", std::move(query), {}, std::move(scan_query)};
}

TEST(ChooseScan, TheTableShorthandIsGeneratedOnceConnected) {
    const ScanChoice scan = choose_scan(IndexSource{"brands", {}, "brands", {}});
    EXPECT_EQ(scan.origin, ScanOrigin::kTable);
    EXPECT_TRUE(scan.sql.empty());
}

TEST(ChooseScan, AQueryWithoutScanQueryUsesItsDerivedScan) {
    const ScanChoice scan = choose_scan(
        by_query("SELECT p.id, to_jsonb(p) AS doc FROM products p WHERE p.id = ANY($1::bigint[])"));
    EXPECT_EQ(scan.origin, ScanOrigin::kDerived);
    EXPECT_EQ(scan.sql, "SELECT p.id, to_jsonb(p) AS doc FROM products p WHERE TRUE");
    EXPECT_TRUE(scan.refusal.empty());
}

TEST(ChooseScan, AGivenScanQueryOverridesTheDerivedOne) {
    const ScanChoice scan =
        choose_scan(by_query("SELECT p.id, to_jsonb(p) AS doc FROM products p WHERE p.id = ANY($1)",
                             "SELECT id, to_jsonb(p) AS doc FROM products p WHERE NOT p.hidden"));
    EXPECT_EQ(scan.origin, ScanOrigin::kGiven);
    EXPECT_EQ(scan.sql, "SELECT id, to_jsonb(p) AS doc FROM products p WHERE NOT p.hidden");
}

TEST(ChooseScan, AQueryWhoseScanCannotBeDerivedIsRefusedWithTheReason) {
    // $1 used outside the condition that would be taken out.
    const IndexSource elsewhere = by_query(
        "SELECT p.id, jsonb_build_object('n', cardinality($1::text[])) AS doc FROM products p "
        "WHERE p.id = ANY($1::bigint[])");
    const ScanChoice scan = choose_scan(elsewhere);
    EXPECT_EQ(scan.origin, ScanOrigin::kRefused);
    EXPECT_TRUE(scan.sql.empty());
    EXPECT_EQ(scan.refusal, "the query uses $1 outside its = ANY($1) condition");
    const std::string message = scan_refusal_message(elsewhere, scan);
    EXPECT_THAT(message, HasSubstr("index 'products'"));
    EXPECT_THAT(message, HasSubstr("the query uses $1 outside its = ANY($1) condition"));
    EXPECT_THAT(message, HasSubstr("add scan_query:"));

    // No = ANY($1) condition at all; not one SELECT; not SQL.
    EXPECT_THAT(choose_scan(by_query("SELECT p.id, p.doc FROM products p WHERE p.id IN ($1)"))
                    .refusal,
                HasSubstr("no `<alias>.<key> = ANY($1)` condition"));
    EXPECT_EQ(choose_scan(by_query("SELECT 1 WHERE 1 = ANY($1); SELECT 2")).refusal,
              "the query is not one SELECT");
    const ScanChoice garbage = choose_scan(by_query("SELEKT id FROM"));
    EXPECT_EQ(garbage.origin, ScanOrigin::kRefused);
    EXPECT_THAT(garbage.refusal, HasSubstr("does not parse"));
}

}  // namespace
}  // namespace kt::pg
