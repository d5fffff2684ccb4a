#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/wire/messages.hpp"
#include "workers/delayer/envelope.hpp"

namespace kt::wire {
namespace {

TEST(DelayerWire, DelayEnvelopeKeepsThePayloadVerbatim) {
    const std::string env = delay_envelope(R"({"id":"sku-1","extra":true})", "products", 1.5);
    const auto j = nlohmann::json::parse(env);
    EXPECT_EQ(j["payload"], nlohmann::json::parse(R"({"id":"sku-1","extra":true})"));
    EXPECT_DOUBLE_EQ(j["created_at"].get<double>(), 1.5);
    EXPECT_EQ(j["topic"], "products");
}

TEST(DelayerWire, CreatedAtKeepsMicroseconds) {
    const auto j =
        nlohmann::json::parse(delay_envelope(instant_message("1"), "t", 1763900000.123456));
    EXPECT_NEAR(j["created_at"].get<double>(), 1763900000.123456, 1e-6);
}

TEST(DelayerWire, TheDelayerReadsWhatKtProduceWrites) {
    workers::EnvelopeParser parser;
    for (const std::string id : {"42", "sku-1", "007", "99999999999999999999", "0"}) {
        const std::string env = delay_envelope(instant_message(id), "products", 1700000000.5);
        const auto e = parser.parse(env);
        ASSERT_TRUE(e.ok) << env << ": " << e.reason;
        EXPECT_EQ(e.id, id);
        EXPECT_EQ(e.topic, std::optional<std::string>("products"));
        EXPECT_DOUBLE_EQ(*e.created_at, 1700000000.5);
        EXPECT_EQ(env.substr(e.payload_pos, e.payload_len), instant_message(id));
    }
}

TEST(DelayerWire, IdJson) {
    EXPECT_EQ(id_json("42"), "42");
    EXPECT_EQ(id_json("007"), R"("007")");
    EXPECT_EQ(id_json("a\"b"), R"("a\"b")");
}

}  // namespace
}  // namespace kt::wire
