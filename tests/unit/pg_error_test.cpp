#include <gtest/gtest.h>

#include "lib/pg/error.hpp"

namespace kt::pg {
namespace {

TEST(PgSqlstate, ConnectionClassesAreConnection) {
    EXPECT_EQ(classify_sqlstate("08006"), SqlstateKind::kConnection);  // connection_failure
    EXPECT_EQ(classify_sqlstate("08001"), SqlstateKind::kConnection);  // cannot establish
    EXPECT_EQ(classify_sqlstate("57P01"), SqlstateKind::kConnection);  // admin_shutdown
    EXPECT_EQ(classify_sqlstate("57P02"), SqlstateKind::kConnection);  // crash_shutdown
    EXPECT_EQ(classify_sqlstate("57P03"), SqlstateKind::kConnection);  // cannot_connect_now
    EXPECT_EQ(classify_sqlstate("25P03"), SqlstateKind::kConnection);  // idle session timeout
}

TEST(PgSqlstate, BusyServerIsTransient) {
    EXPECT_EQ(classify_sqlstate("40001"), SqlstateKind::kTransient);
    EXPECT_EQ(classify_sqlstate("40P01"), SqlstateKind::kTransient);
    EXPECT_EQ(classify_sqlstate("53300"), SqlstateKind::kTransient);
    EXPECT_EQ(classify_sqlstate("55P03"), SqlstateKind::kTransient);
    EXPECT_EQ(classify_sqlstate("57014"), SqlstateKind::kTransient);
}

TEST(PgSqlstate, DataExceptionsAreData) {
    EXPECT_EQ(classify_sqlstate("22P02"), SqlstateKind::kData);
    EXPECT_EQ(classify_sqlstate("22003"), SqlstateKind::kData);
    EXPECT_EQ(classify_sqlstate("22021"), SqlstateKind::kData);
}

TEST(PgSqlstate, SchemaAndUnknownCodesAreQuery) {
    EXPECT_EQ(classify_sqlstate("42P01"), SqlstateKind::kQuery);
    EXPECT_EQ(classify_sqlstate("42703"), SqlstateKind::kQuery);
    EXPECT_EQ(classify_sqlstate("42601"), SqlstateKind::kQuery);
    EXPECT_EQ(classify_sqlstate("25006"), SqlstateKind::kQuery);  // write in read-only tx
    EXPECT_EQ(classify_sqlstate("57P04"), SqlstateKind::kQuery);  // database dropped
    EXPECT_EQ(classify_sqlstate(""), SqlstateKind::kQuery);
    EXPECT_EQ(classify_sqlstate("08"), SqlstateKind::kQuery);
}

TEST(PgError, RetryabilityFollowsTheType) {
    EXPECT_TRUE(ConnectionError("x").retryable());
    EXPECT_TRUE(ServerBusyError("x", "40P01").retryable());
    EXPECT_FALSE(IdRejected("x", "22P02").retryable());
    EXPECT_FALSE(QueryError("x", "42P01").retryable());
    const IdRejected rejected("bad id", "22P02");
    const Error& root = rejected;
    EXPECT_STREQ(root.what(), "bad id");
    EXPECT_EQ(rejected.sqlstate(), "22P02");
}

}  // namespace
}  // namespace kt::pg
