// The development broker's secure front: Kafka frame parsing and the answers it rewrites.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

#include "tools/devbroker/kafka_frames.hpp"

namespace kt::devbroker {
namespace {

void put(std::string& out, std::int64_t value, std::size_t bytes) {
    for (std::size_t i = bytes; i-- > 0;) {
        out.push_back(static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xFFU));
    }
}
void put_string(std::string& out, const std::string& s) {
    put(out, static_cast<std::int64_t>(s.size()), 2);
    out += s;
}
std::int64_t get(const std::string& in, std::size_t at, std::size_t bytes) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v = (v << 8U) | static_cast<unsigned char>(in[at + i]);
    return static_cast<std::int64_t>(v);
}

TEST(DevbrokerFrames, ParsesARequestHeaderAndSaslBodies) {
    std::string frame;
    put(frame, kApiSaslHandshake, 2);
    put(frame, 1, 2);
    put(frame, 77, 4);
    put_string(frame, "client-1");
    put_string(frame, "PLAIN");
    const auto header = parse_request_header(frame);
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->api_key, kApiSaslHandshake);
    EXPECT_EQ(header->api_version, 1);
    EXPECT_EQ(header->correlation_id, 77);
    EXPECT_EQ(sasl_handshake_mechanism(std::string_view(frame).substr(header->body_offset)),
              "PLAIN");
    EXPECT_FALSE(parse_request_header(frame.substr(0, 9)).has_value());

    std::string auth;
    const std::string token = std::string("\0kt\0pw", 6);
    put(auth, static_cast<std::int64_t>(token.size()), 4);
    auth += token;
    EXPECT_EQ(sasl_authenticate_bytes(auth), token);
    EXPECT_FALSE(sasl_authenticate_bytes(auth.substr(0, 5)).has_value());
}

TEST(DevbrokerFrames, PlainTokenMustMatchUserAndPassword) {
    EXPECT_TRUE(plain_token_matches(std::string("\0kt\0pw", 6), "kt", "pw"));
    EXPECT_TRUE(plain_token_matches(std::string("authz\0kt\0pw", 11), "kt", "pw"));
    EXPECT_FALSE(plain_token_matches(std::string("\0kt\0pwx", 7), "kt", "pw"));
    EXPECT_FALSE(plain_token_matches(std::string("\0ktx\0pw", 7), "kt", "pw"));
    EXPECT_FALSE(plain_token_matches("kt:pw", "kt", "pw"));
}

TEST(DevbrokerFrames, SaslAnswersCarryTheErrorAndMessage) {
    const std::string ok = sasl_authenticate_response(5, 1, 0, "");
    EXPECT_EQ(get(ok, 0, 4), 5);
    EXPECT_EQ(get(ok, 4, 2), 0);
    EXPECT_EQ(get(ok, 6, 2), 0xFFFF);  // null message
    EXPECT_EQ(ok.size(), 4U + 2 + 2 + 4 + 8);
    const std::string failed = sasl_authenticate_response(6, 0, 58, "bad");
    EXPECT_EQ(get(failed, 4, 2), 58);
    EXPECT_EQ(failed.substr(8, 3), "bad");
    EXPECT_EQ(failed.size(), 4U + 2 + 2 + 3 + 4);
    const std::string handshake = sasl_handshake_response(7, 33, "PLAIN");
    EXPECT_EQ(get(handshake, 4, 2), 33);
    EXPECT_EQ(get(handshake, 6, 4), 1);
    EXPECT_EQ(handshake.substr(12), "PLAIN");
}

TEST(DevbrokerFrames, MetadataAndCoordinatorPortsPointAtTheFront) {
    std::string metadata;  // v2: brokers, cluster_id, controller_id, no topics
    put(metadata, 9, 4);   // correlation id
    put(metadata, 2, 4);
    for (const int port : {1001, 1002}) {
        put(metadata, port - 1000, 4);
        put_string(metadata, "127.0.0.1");
        put(metadata, port, 4);
        put(metadata, -1, 2);  // rack null
    }
    put(metadata, -1, 2);
    put(metadata, 1, 4);
    put(metadata, 0, 4);
    EXPECT_TRUE(rewrite_response(metadata, kApiMetadata, 2, {{1001, 2001}, {1002, 2002}}, false));
    EXPECT_EQ(get(metadata, 4 + 4 + 4 + 11, 4), 2001);
    EXPECT_EQ(get(metadata, 4 + 4 + 4 + 11 + 4 + 2 + 4 + 11, 4), 2002);

    std::string coordinator;  // v1
    put(coordinator, 3, 4);
    put(coordinator, 0, 4);
    put(coordinator, 0, 2);
    put(coordinator, -1, 2);
    put(coordinator, 1, 4);
    put_string(coordinator, "127.0.0.1");
    put(coordinator, 1001, 4);
    EXPECT_TRUE(rewrite_response(coordinator, kApiFindCoordinator, 1, {{1001, 2001}}, false));
    EXPECT_EQ(get(coordinator, coordinator.size() - 4, 4), 2001);

    std::string truncated = coordinator.substr(0, 12);
    EXPECT_FALSE(rewrite_response(truncated, kApiFindCoordinator, 1, {{1001, 2001}}, false));
}

TEST(DevbrokerFrames, ApiVersionsGainTheSaslApisOnce) {
    std::string versions;  // v1
    put(versions, 1, 4);
    put(versions, 0, 2);
    put(versions, 1, 4);
    put(versions, kApiMetadata, 2);
    put(versions, 0, 2);
    put(versions, 2, 2);
    put(versions, 0, 4);  // throttle
    std::string plain = versions;
    EXPECT_TRUE(rewrite_response(plain, kApiVersions, 1, {}, false));
    EXPECT_EQ(plain, versions);
    EXPECT_TRUE(rewrite_response(versions, kApiVersions, 1, {}, true));
    EXPECT_EQ(get(versions, 6, 4), 3);
    EXPECT_EQ(get(versions, 16, 2), kApiSaslHandshake);
    EXPECT_EQ(get(versions, 22, 2), kApiSaslAuthenticate);
    EXPECT_EQ(get(versions, 26, 2), 1);  // max version 1
    const std::string once = versions;
    EXPECT_TRUE(rewrite_response(versions, kApiVersions, 1, {}, true));
    EXPECT_EQ(versions, once);
}

}  // namespace
}  // namespace kt::devbroker
