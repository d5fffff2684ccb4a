#include <gtest/gtest.h>

#include <string>

#include "lib/pg/detail/conninfo.hpp"

namespace kt::pg::detail {
namespace {

using std::chrono::seconds;

TEST(PgRedactUrl, MasksUrlPasswords) {
    EXPECT_EQ(redact_url("postgresql://kt:s3cret@db:5432/kt"), "postgresql://kt:***@db:5432/kt");
    EXPECT_EQ(redact_url("postgres://kt:p%40ss@db/kt?sslmode=require&password=x2"),
              "postgres://kt:***@db/kt?sslmode=require&password=***");
}

TEST(PgRedactUrl, MasksKeywordPasswords) {
    EXPECT_EQ(redact_url("host=db password=s3cret user=kt"), "host=db password=*** user=kt");
    EXPECT_EQ(redact_url("host=db password = 'se cr\\'et' user=kt"),
              "host=db password = *** user=kt");
}

TEST(PgRedactUrl, LeavesStringsWithoutAPasswordAsTheyAre) {
    for (const std::string conninfo :
         {"postgresql://kt@127.0.0.1:5432/kt", "postgresql://db/kt", "host=db user=kt"}) {
        EXPECT_EQ(redact_url(conninfo), conninfo);
    }
}

TEST(PgPasswordOf, DecodesThePassword) {
    EXPECT_EQ(password_of("postgresql://kt:p%40ss@db/kt"), "p@ss");
    EXPECT_EQ(password_of("host=db password='se cr\\'et'"), "se cr'et");
    EXPECT_EQ(password_of("postgresql://kt@db/kt"), "");
}

TEST(PgScrubPassword, RemovesRawAndDecodedForms) {
    EXPECT_EQ(scrub_password("bad p%40ss and p@ss", "postgresql://kt:p%40ss@db/kt"),
              "bad *** and ***");
    EXPECT_EQ(scrub_password("nothing here", "postgresql://kt@db/kt"), "nothing here");
}

TEST(PgSessionOptions, AppendsToUrls) {
    EXPECT_EQ(with_session_options("postgresql://kt@db/kt", "kt indexer", seconds(10)),
              "postgresql://kt@db/kt?fallback_application_name=kt%20indexer&connect_timeout=10");
    EXPECT_EQ(with_session_options("postgresql://kt@db/kt?sslmode=require", "kt", seconds(0)),
              "postgresql://kt@db/kt?sslmode=require&fallback_application_name=kt");
    EXPECT_EQ(with_session_options("postgresql://kt@db/kt?connect_timeout=3", "kt", seconds(10)),
              "postgresql://kt@db/kt?connect_timeout=3&fallback_application_name=kt");
}

TEST(PgSessionOptions, AppendsToKeywordStrings) {
    EXPECT_EQ(with_session_options("host=db", "it's", seconds(5)),
              "host=db fallback_application_name='it\\'s' connect_timeout=5");
    EXPECT_EQ(with_session_options("host=db connect_timeout=2", "kt", seconds(5)),
              "host=db connect_timeout=2 fallback_application_name='kt'");
}

TEST(PgConninfo, LogicalReplicationIsAskedInTheStringsOwnSyntax) {
    EXPECT_EQ(with_logical_replication("postgresql://kt@db/kt"),
              "postgresql://kt@db/kt?replication=database");
    EXPECT_EQ(with_logical_replication("postgresql://kt@db/kt?sslmode=require"),
              "postgresql://kt@db/kt?sslmode=require&replication=database");
    EXPECT_EQ(with_logical_replication("host=db user=kt"), "host=db user=kt replication=database");
}

}  // namespace
}  // namespace kt::pg::detail
