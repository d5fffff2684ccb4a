// pg::ChildQuery against the real PostgreSQL of the development stack.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/pg/child_query.hpp"
#include "lib/pg/error.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/test_env.hpp"

namespace kt::pg {
namespace {

using ::testing::HasSubstr;

/// A table `<name>(id bigint primary key, parent_id bigint)`: parent p has children
/// p*1000+1 .. p*1000+p (parent 3 has three children), for parents 1..n; dropped at the end.
class ChildTable : public test::Fixture {
public:
    explicit ChildTable(int parents) : Fixture("pg_children") {
        create_tables("CREATE TABLE " + name() +
                          " (id bigint PRIMARY KEY, parent_id bigint NOT NULL)",
                      {name()});
        exec("INSERT INTO " + name() + " SELECT p * 1000 + c, p FROM generate_series(1, " +
             std::to_string(parents) + ") p, LATERAL generate_series(1, p) c");
    }

    [[nodiscard]] CascadeSource cascade() const {
        CascadeSource c;
        c.name = "children";
        c.query = "SELECT id FROM " + name() + " WHERE parent_id = ANY($1::bigint[]) ORDER BY id";
        return c;
    }
};

TEST(PgChildQuery, StreamsEveryChildInChunks) {
    ChildTable table(40);
    ChildQuery query(table.cascade(), test::postgres_url());
    std::vector<std::size_t> chunk_sizes;
    std::set<std::string> children;
    const std::size_t n = query.stream({"3", "30", "999"}, 10, [&](auto chunk) {
        chunk_sizes.push_back(chunk.size());
        children.insert(chunk.begin(), chunk.end());
    });
    EXPECT_EQ(n, 33U);
    EXPECT_EQ(chunk_sizes, (std::vector<std::size_t>{10, 10, 10, 3}));
    EXPECT_EQ(children.size(), 33U);
    EXPECT_TRUE(children.count("3001") && children.count("3003") && children.count("30030"));
    EXPECT_EQ(children.count("3004"), 0U);
}

TEST(PgChildQuery, ABadParentIdIsRejectedAndTheNextCallWorks) {
    ChildTable table(5);
    ChildQuery query(table.cascade(), test::postgres_url());
    try {
        (void)query.stream({"2", "abc"}, 100, [](auto) {});
        FAIL() << "expected IdRejected";
    } catch (const IdRejected& e) {
        EXPECT_EQ(e.sqlstate(), "22P02");
        EXPECT_THAT(e.what(), HasSubstr("cascade 'children'"));
    }
    EXPECT_EQ(query.stream({"2"}, 100, [](auto) {}), 2U);
}

TEST(PgChildQuery, AFailingChunkConsumerPropagatesAndEndsTheTransaction) {
    ChildTable table(5);
    ChildQuery query(table.cascade(), test::postgres_url());
    EXPECT_THROW(
        (void)query.stream({"5"}, 2, [](auto) { throw std::runtime_error("kafka said no"); }),
        std::runtime_error);
    EXPECT_EQ(query.stream({"4", "5"}, 2, [](auto) {}), 9U);
}

TEST(PgChildQuery, AMissingTableIsAQueryError) {
    CascadeSource c;
    c.name = "nowhere";
    c.query = "SELECT id FROM no_such_table_kt WHERE parent_id = ANY($1::bigint[])";
    ChildQuery query(c, test::postgres_url());
    try {
        query.check();
        FAIL() << "expected QueryError";
    } catch (const QueryError& e) {
        EXPECT_EQ(e.sqlstate(), "42P01");
        EXPECT_FALSE(e.retryable());
    }
}

TEST(PgChildQuery, UnreachableServerIsRetryable) {
    ChildTable table(1);
    ChildQuery query(table.cascade(), "postgresql://kt:hunter2-secret@127.0.0.1:1/kt");
    try {
        (void)query.stream({"1"}, 10, [](auto) {});
        FAIL() << "expected ConnectionError";
    } catch (const ConnectionError& e) {
        EXPECT_TRUE(e.retryable());
        EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("hunter2")));
    }
}

}  // namespace
}  // namespace kt::pg
