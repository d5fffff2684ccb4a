#include <gtest/gtest.h>

#include <string>

#include "lib/app/options_from_config.hpp"
#include "lib/error.hpp"
#include "lib/es/detail/gzip.hpp"
#include "lib/es/options.hpp"
#include "lib/es/response_error.hpp"
#include "lib/es/transport.hpp"

namespace kt::es {
namespace {

TEST(RedactUrlUserinfo, HidesUserAndPassword) {
    EXPECT_EQ(redact_url_userinfo("GET https://elastic:s3cr3t@es.local:9200/_bulk failed"),
              "GET https://***@es.local:9200/_bulk failed");
    EXPECT_EQ(redact_url_userinfo("http://u:p@a/ and http://v:q@b"),
              "http://***@a/ and http://***@b");
    EXPECT_EQ(redact_url_userinfo("http://es:9200/x@y"), "http://es:9200/x@y");
    EXPECT_EQ(redact_url_userinfo("no url here"), "no url here");
    EXPECT_EQ(redact_url_userinfo("http://user:p@ss@host/"), "http://***@host/");
}

TEST(Redact, RemovesPasswordAndApiKeyAnywhere) {
    Options options;
    options.password = "hunter2";
    options.api_key = "QUtJRDpLRVk=";
    const std::string text =
        redact("auth failed for hunter2 with key QUtJRDpLRVk= at https://bob:hunter2@es/", options);
    EXPECT_EQ(text.find("hunter2"), std::string::npos);
    EXPECT_EQ(text.find("QUtJRDpLRVk="), std::string::npos);
    EXPECT_NE(text.find("https://***@es/"), std::string::npos);
}

TEST(OptionsFromConfig, CopiesEveryField) {
    config::ElasticsearchConfig config;
    config.url = "https://es:9200";
    config.username = "u";
    config.password = "p";
    config.api_key = "k";
    config.ca_file = "/ca.pem";
    config.timeout = std::chrono::milliseconds(1500);
    config.compression = false;
    const Options options = kt::app::es_options(config);
    EXPECT_EQ(options.url, "https://es:9200");
    EXPECT_EQ(options.username, "u");
    EXPECT_EQ(options.password, "p");
    EXPECT_EQ(options.api_key, "k");
    EXPECT_EQ(options.ca_file, "/ca.pem");
    EXPECT_EQ(options.timeout, std::chrono::milliseconds(1500));
    EXPECT_FALSE(options.compression);
}

class RedactingTransport final : public Transport {
public:
    Response perform(const Request&) override { return {}; }
    std::string redact(std::string text) const override {
        Options options;
        options.password = "topsecret";
        return es::redact(std::move(text), options);
    }
};

TEST(ResponseError, CarriesStatusTypeAndRedactedReason) {
    RedactingTransport transport;
    const Request request{Method::kPut, "/p_1?timeout=1s", "{}", "application/json", {}};
    const Response response{
        400,
        R"({"error":{"type":"resource_already_exists_exception","reason":"index [p_1] exists; topsecret"}})",
        {}};
    const EsError error = response_error(transport, request, response);
    EXPECT_EQ(error.status(), 400);
    EXPECT_EQ(error.type(), "resource_already_exists_exception");
    const std::string what = error.what();
    EXPECT_NE(what.find("PUT /p_1"), std::string::npos) << what;
    EXPECT_NE(what.find("HTTP 400"), std::string::npos) << what;
    EXPECT_EQ(what.find("topsecret"), std::string::npos) << what;
}

TEST(ParseErrorBody, AcceptsObjectStringAndGarbage) {
    EXPECT_EQ(parse_error_body(R"({"error":{"type":"t","reason":"r"}})").type, "t");
    EXPECT_EQ(parse_error_body(R"({"error":"alias [x] missing"})").reason, "alias [x] missing");
    EXPECT_TRUE(parse_error_body("<html>").type.empty());
}

TEST(Gzip, RoundTripsAndShrinksRepetitiveBodies) {
    std::string body;
    for (int i = 0; i < 1000; ++i) body += R"({"index":{"_id":"1"}}\n{"title":"same"}\n)";
    const std::string compressed = detail::gzip_compress(body);
    EXPECT_LT(compressed.size(), body.size() / 10);
    EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1fU);  // gzip magic
    EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8bU);
    EXPECT_EQ(detail::gzip_decompress(compressed), body);
    EXPECT_THROW((void)detail::gzip_decompress("not gzip"), kt::Error);
}

TEST(EncodePathSegment, EscapesReservedCharacters) {
    EXPECT_EQ(encode_path_segment("products_2026"), "products_2026");
    EXPECT_EQ(encode_path_segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
}

}  // namespace
}  // namespace kt::es
