// kt verify end to end: the real kt executable against PostgreSQL and the Elasticsearch
// stand-in; planted missing, extra and stale documents are found and repaired.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <string>

#include "cmd/kt/suggest.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"

namespace kt::workers {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::string kKt = test::binary("kt");

/// A table, its index entry (query with or without scan_query, or the table: shorthand) and a
/// config file.
class VerifyFixture : public test::Fixture {
public:
    explicit VerifyFixture(bool shorthand, bool with_scan_query = true) : Fixture("verify") {
        create_tables("CREATE TABLE " + name() +
                          " (id bigint PRIMARY KEY, title text NOT NULL, n bigint)",
                      {name()});
        delete_indexes_at_end(test::es_url(), name() + "_*");
        write_entry(test::title_n_source(name(), shorthand, with_scan_query));
    }

    /// The index entry's source lines (`    query: …`) replaced by `source`.
    void write_entry(const std::string& source) {
        auto config = this->config();
        config.group_prefix.clear();
        config.properties.clear();
        config.sections = fmt::format("indexes:\n  {}:\n{}    batch_size: 7\n", name(), source);
        write_config(config);
    }

    /// PUT of a document straight into the alias (as if written by someone else).
    int put_document(const std::string& id, const json& source) {
        httplib::Client client(test::es_url());
        const auto res = client.Put("/" + name() + "/_doc/" + id + "?refresh=true", source.dump(),
                                    "application/json");
        return res ? res->status : 0;
    }
    std::optional<json> document(const std::string& id) {
        httplib::Client client(test::es_url());
        const auto res = client.Get("/" + name() + "/_doc/" + id);
        if (!res || res->status != 200) return std::nullopt;
        return json::parse(res->body).value("_source", json());
    }
};

TEST(VerifyE2e, FindsAndFixesMissingExtraAndStaleDocuments) {
    VerifyFixture f(/*shorthand=*/false);
    f.exec(fmt::format("INSERT INTO {} SELECT i, 't-' || i, i FROM generate_series(1, 30) i",
                       f.name()));

    // No index yet: every row is missing; --fix creates the alias and writes them.
    auto run = f.kt("verify " + f.name());
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("missing: 30 (e.g. 1 2 3 4 5 …)"));
    run = f.kt("verify " + f.name() + " --fix");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    run = f.kt("verify " + f.name());
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("30 row(s) in PostgreSQL, 30 document(s)"));
    EXPECT_THAT(run.output, HasSubstr("missing: 0\nextra: 0\nstale: 0\n"));

    // Plant: a row never indexed, a document without a row, a row changed behind its document.
    f.exec(fmt::format("INSERT INTO {} VALUES (31, 'new', 31)", f.name()));
    ASSERT_EQ(f.put_document("999", json{{"title", "ghost"}, {"n", 999}}), 201);
    f.exec(fmt::format("UPDATE {} SET title = 'changed' WHERE id = 7", f.name()));

    run = f.kt("verify " + f.name());
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("31 row(s) in PostgreSQL, 31 document(s)"));
    EXPECT_THAT(run.output, HasSubstr("missing: 1 (e.g. 31)"));
    EXPECT_THAT(run.output, HasSubstr("extra: 1 (e.g. 999)"));
    EXPECT_THAT(run.output, HasSubstr("stale: 1 (e.g. 7)"));

    run = f.kt("verify " + f.name() + " --fix");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("fixed: 2 document(s) indexed, 1 deleted"));
    EXPECT_EQ(f.document("7"), (json{{"title", "changed"}, {"n", 7}}));
    EXPECT_EQ(f.document("999"), std::nullopt);

    run = f.kt("verify " + f.name());
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("the index equals the table"));
}

TEST(VerifyE2e, FixDeletesAnExtraDocumentWhoseIdNoRowCanHave) {
    // `abc` cannot be a bigint key: the query rejects it, yet the document is extra all the
    // same and --fix must delete it rather than leave the index different from the table.
    VerifyFixture f(/*shorthand=*/true);
    f.exec(fmt::format("INSERT INTO {} SELECT i, 't-' || i, i FROM generate_series(1, 5) i",
                       f.name()));
    ASSERT_EQ(f.kt("verify " + f.name() + " --fix").exit_code, 0);
    ASSERT_EQ(f.put_document("abc", json{{"title", "no row"}}), 201);

    auto run = f.kt("verify " + f.name());
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("extra: 1 (e.g. abc)"));
    run = f.kt("verify " + f.name() + " --fix");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("fixed: 0 document(s) indexed, 1 deleted"));
    EXPECT_EQ(f.document("abc"), std::nullopt);
}

TEST(VerifyE2e, FixSucceedsOnlyWhenTheIndexThenEqualsTheTable) {
    VerifyFixture f(/*shorthand=*/false);
    f.exec(fmt::format("INSERT INTO {} SELECT i, 't-' || i, i FROM generate_series(1, 10) i",
                       f.name()));
    ASSERT_EQ(f.kt("verify " + f.name() + " --fix").exit_code, 0);
    // A document with an external version far ahead of PostgreSQL's: no kt write can replace
    // it, so the fix must say so and fail rather than count the conflict as written.
    httplib::Client client(test::es_url());
    const auto put = client.Put(
        "/" + f.name() + "/_doc/5?version=9000000000000000&version_type=external&refresh=true",
        json{{"title", "from the future"}, {"n", 5}}.dump(), "application/json");
    ASSERT_TRUE(put);
    ASSERT_EQ(put->status, 200) << put->body;

    const auto run = f.kt("verify " + f.name() + " --fix");
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output,
                HasSubstr("written outside kt: 1 (e.g. 5 at version 9000000000000000)\n"
                          "  1 of them ahead of PostgreSQL"));
    EXPECT_THAT(run.output, HasSubstr("fixed: 0 document(s) indexed, 0 deleted; 1 met another "
                                      "writer's version"));
    EXPECT_THAT(run.output, HasSubstr("not fixed: 5: another writer's external version is ahead "
                                      "of PostgreSQL (version 9000000000000000)"));
    EXPECT_THAT(run.output, HasSubstr("after fixing:\nverify " + f.name()));
    EXPECT_THAT(run.output, HasSubstr("stale: 1 (e.g. 5)\nwritten outside kt: 1"));
    // The suggested command repeats the user's --config.
    EXPECT_THAT(run.output, HasSubstr("`kt --config " + cmd::shell_quote(f.config_path()) +
                                      " reindex " + f.name() + "` rebuilds the index\n" +
                                      f.name() + ": the index still differs from the table"));

    // kt reindex --ids meets the same document and suggests the same full rebuild.
    const auto ids = f.kt("reindex " + f.name() + " --ids 5");
    EXPECT_EQ(ids.exit_code, 1) << ids.output;
    EXPECT_THAT(ids.output, HasSubstr("a full `kt --config " + cmd::shell_quote(f.config_path()) +
                                      " reindex " + f.name() + "` rebuilds the index"));
}

TEST(VerifyE2e, TableShorthandScanIsGenerated) {
    VerifyFixture f(/*shorthand=*/true);
    f.exec(fmt::format("INSERT INTO {} SELECT i, 't-' || i, NULL FROM generate_series(1, 12) i",
                       f.name()));
    auto run = f.kt("verify " + f.name() + " --fix");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(f.document("3"), (json{{"id", 3}, {"title", "t-3"}, {"n", nullptr}}));
    run = f.kt("verify " + f.name());
    EXPECT_EQ(run.exit_code, 0) << run.output;

    f.exec(fmt::format("UPDATE {} SET n = 5 WHERE id = 12", f.name()));
    run = f.kt("verify " + f.name());
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("stale: 1 (e.g. 12)"));
    EXPECT_THAT(run.output, HasSubstr("missing: 0\n"));
    // The repair it suggests can be pasted as it is: with the user's --config.
    EXPECT_THAT(run.output, HasSubstr("(`kt --config " + cmd::shell_quote(f.config_path()) +
                                      " verify " + f.name() + " --fix` repairs it)\n"));
    // And with the log format the user chose.
    run = test::run_command(fmt::format("{} --log-format json verify {} --config '{}' 2>&1", kKt,
                                        f.name(), f.config_path()));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("(`kt --config " + cmd::shell_quote(f.config_path()) +
                                      " --log-format json verify " + f.name() +
                                      " --fix` repairs it)\n"));
}

TEST(VerifyE2e, QueryWithoutScanQueryIsAConfigError) {
    // A query whose scan cannot be derived: $1 is read outside its = ANY($1) condition.
    VerifyFixture f(/*shorthand=*/false, /*with_scan_query=*/false);
    f.write_entry(fmt::format(
        "    query: SELECT id, jsonb_build_object('title', title, 'n', n) AS doc FROM {} "
        "WHERE id = ANY($1::bigint[]) AND cardinality($1::text[]) > 0\n",
        f.name()));
    const auto run = f.kt("verify " + f.name());
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_THAT(run.output, HasSubstr("kt verify: index '" + f.name() +
                                      "': no scan query can be derived from its query: (the "
                                      "query uses $1 outside its = ANY($1) condition); add "
                                      "scan_query:"));
    EXPECT_THAT(f.kt("verify no_such_index").exit_code, 2);
}

TEST(VerifyE2e, QueryWithoutScanQueryIsReadThroughItsDerivedScan) {
    VerifyFixture f(/*shorthand=*/false, /*with_scan_query=*/false);
    f.exec(fmt::format("INSERT INTO {} SELECT i, 't-' || i, i FROM generate_series(1, 30) i",
                       f.name()));
    auto run = f.kt("verify " + f.name());
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("30 row(s) in PostgreSQL, 0 document(s)"));
    EXPECT_THAT(run.output, HasSubstr("missing: 30 (e.g. 1 2 3 4 5 …)"));
    run = f.kt("verify " + f.name() + " --fix");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    f.exec(fmt::format("UPDATE {} SET title = 'changed' WHERE id = 7", f.name()));
    run = f.kt("verify " + f.name());
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_THAT(run.output, HasSubstr("stale: 1 (e.g. 7)"));
    run = f.kt("verify " + f.name() + " --fix");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(f.document("7"), (json{{"title", "changed"}, {"n", 7}}));
}

}  // namespace
}  // namespace kt::workers
