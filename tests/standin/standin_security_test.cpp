// The stand-in's authentication decision: Elasticsearch's 401 security_exception answers.
#include <gtest/gtest.h>

#include <string>

#include "tools/es-standin/security.hpp"

namespace kt::tools::standin {
namespace {

AuthOptions both() {
    AuthOptions options;
    options.basic_auth = "elastic:s3cret";
    options.api_key = "a2V5aWQ6c2VjcmV0";
    return options;
}

TEST(StandinSecurity, AcceptsAnythingWhenNoCredentialIsRequired) {
    EXPECT_FALSE(authenticate({}, nullptr, "/").has_value());
    const std::string header = "Basic bm9ib2R5Ong=";
    EXPECT_FALSE(authenticate({}, &header, "/").has_value());
}

TEST(StandinSecurity, AcceptsTheRightBasicCredentialsAndApiKey) {
    const std::string basic = "Basic ZWxhc3RpYzpzM2NyZXQ=";  // elastic:s3cret
    const std::string api_key = "ApiKey a2V5aWQ6c2VjcmV0";
    EXPECT_FALSE(authenticate(both(), &basic, "/_bulk").has_value());
    EXPECT_FALSE(authenticate(both(), &api_key, "/_bulk").has_value());
    const std::string lower_scheme = "apikey a2V5aWQ6c2VjcmV0";
    EXPECT_FALSE(authenticate(both(), &lower_scheme, "/").has_value());
}

TEST(StandinSecurity, MissingCredentialsAre401WithTheRequestPath) {
    const auto denied = authenticate(both(), nullptr, "/_bulk");
    ASSERT_TRUE(denied.has_value());
    EXPECT_EQ(denied->status(), 401);
    EXPECT_EQ(denied->type(), "security_exception");
    EXPECT_EQ(denied->reason(), "missing authentication credentials for REST request [/_bulk]");
    const Json body = denied->body();
    EXPECT_EQ(body["status"], 401);
    EXPECT_EQ(body["error"]["root_cause"][0]["type"], "security_exception");
    EXPECT_EQ(body["error"]["header"]["WWW-Authenticate"].size(), 2U);
}

TEST(StandinSecurity, WrongPasswordNamesTheUser) {
    const std::string header = "Basic ZWxhc3RpYzp3cm9uZw==";  // elastic:wrong
    const auto denied = authenticate(both(), &header, "/");
    ASSERT_TRUE(denied.has_value());
    EXPECT_EQ(denied->status(), 401);
    EXPECT_EQ(denied->reason(), "unable to authenticate user [elastic] for REST request [/]");
}

TEST(StandinSecurity, WrongApiKeyIsRefused) {
    const std::string header = "ApiKey d3Jvbmc=";
    const auto denied = authenticate(both(), &header, "/");
    ASSERT_TRUE(denied.has_value());
    EXPECT_EQ(denied->type(), "security_exception");
    EXPECT_NE(denied->reason().find("unable to authenticate with provided credentials"),
              std::string::npos);
}

TEST(StandinSecurity, ASchemeThatIsNotEnabledCountsAsMissing) {
    AuthOptions api_key_only;
    api_key_only.api_key = "k";
    const std::string basic = "Basic ZWxhc3RpYzpzM2NyZXQ=";
    const auto denied = authenticate(api_key_only, &basic, "/");
    ASSERT_TRUE(denied.has_value());
    EXPECT_EQ(denied->reason(), "missing authentication credentials for REST request [/]");
    const std::string garbage = "Basic !!!";
    EXPECT_TRUE(authenticate(both(), &garbage, "/").has_value());
}

TEST(StandinSecurity, ParsesBasicAuthOption) {
    EXPECT_EQ(parse_basic_auth("u:p:q"), (std::pair<std::string, std::string>{"u", "p:q"}));
    EXPECT_EQ(parse_basic_auth("u:"), (std::pair<std::string, std::string>{"u", ""}));
    EXPECT_FALSE(parse_basic_auth(":p").has_value());
    EXPECT_FALSE(parse_basic_auth("nocolon").has_value());
}

}  // namespace
}  // namespace kt::tools::standin
