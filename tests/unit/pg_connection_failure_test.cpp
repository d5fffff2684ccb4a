// How a PostgreSQL connection failure is worded: a connection that was never made is not "lost".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "lib/pg/detail/failure.hpp"
#include "lib/pg/sql.hpp"

namespace kt::pg::detail {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kUrl = "postgresql://kt:s3cret@127.0.0.1:1/kt";
const std::string kRefused =
    "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n"
    "\tIs the server running on that host and accepting TCP/IP connections?\n";

template <typename Exception>
Failure failure_of(const Exception& thrown, ConnectionState state) {
    try {
        throw thrown;
    } catch (...) {
        return current_failure(kUrl, state, 0);
    }
}

TEST(PgConnectionFailure, NeverMadeIsCouldNotConnectWithItsCause) {
    const Failure f = failure_of(pqxx::broken_connection(kRefused), ConnectionState::kNeverMade);
    EXPECT_EQ(f.kind, SqlstateKind::kConnection);
    EXPECT_EQ(f.detail,
              "could not connect to PostgreSQL at postgresql://kt:***@127.0.0.1:1/kt: connection "
              "to server at \"127.0.0.1\", port 1 failed: Connection refused | Is the server "
              "running on that host and accepting TCP/IP connections?");
    EXPECT_THAT(f.detail, Not(HasSubstr("lost")));
}

TEST(PgConnectionFailure, EstablishedThenBrokenIsLost) {
    const Failure f = failure_of(pqxx::broken_connection("server closed the connection"),
                                 ConnectionState::kClosed);
    EXPECT_EQ(f.kind, SqlstateKind::kConnection);
    EXPECT_TRUE(f.connection_lost);
    EXPECT_THAT(f.detail, HasSubstr("connection to PostgreSQL at "
                                    "postgresql://kt:***@127.0.0.1:1/kt lost: server closed the "
                                    "connection"));
}

TEST(PgConnectionFailure, OtherFailureWhileConnectingIsCouldNotConnect) {
    const Failure f = failure_of(pqxx::failure("SSL error"), ConnectionState::kNeverMade);
    EXPECT_EQ(f.kind, SqlstateKind::kConnection);
    EXPECT_EQ(f.detail, "could not connect to PostgreSQL at postgresql://kt:***@127.0.0.1:1/kt: "
                        "SSL error");
}

TEST(PgConnectionFailure, NeverShowsThePassword) {
    const Failure f = failure_of(pqxx::broken_connection("password s3cret refused"),
                                 ConnectionState::kNeverMade);
    EXPECT_THAT(f.detail, Not(HasSubstr("s3cret")));
}

TEST(PgOneLine, DropsTheTabThatIndentsAHint) {
    EXPECT_EQ(one_line(kRefused),
              "connection to server at \"127.0.0.1\", port 1 failed: Connection refused | Is the "
              "server running on that host and accepting TCP/IP connections?");
    EXPECT_EQ(one_line("a\tb\n  c"), "a\tb |   c");
}

}  // namespace
}  // namespace kt::pg::detail
