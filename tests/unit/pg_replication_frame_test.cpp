#include "lib/pg/replication_frame.hpp"

#include <gtest/gtest.h>

namespace kt::pg::replication {
namespace {

std::string be64(std::uint64_t v) {
    std::string out;
    for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((v >> static_cast<unsigned>(shift)) & 0xFFU));
    }
    return out;
}

TEST(ReplicationFrame, XLogDataCarriesPositionsAndThePluginMessage) {
    const std::string frame = "w" + be64(0x16B374D848) + be64(0x16B374D900) + be64(42) + "B...";
    const auto data = std::get<XLogData>(parse_server_frame(frame));
    EXPECT_EQ(pgoutput::to_string(data.wal_start), "16/B374D848");
    EXPECT_EQ(pgoutput::to_string(data.wal_end), "16/B374D900");
    EXPECT_EQ(data.send_time, 42);
    EXPECT_EQ(data.payload, "B...");
}

TEST(ReplicationFrame, KeepaliveSaysWhetherAReplyIsWanted) {
    const auto asked = std::get<Keepalive>(parse_server_frame("k" + be64(7) + be64(9) + '\1'));
    EXPECT_EQ(asked.wal_end.value, 7U);
    EXPECT_EQ(asked.send_time, 9);
    EXPECT_TRUE(asked.reply_requested);
    EXPECT_FALSE(
        std::get<Keepalive>(parse_server_frame("k" + be64(7) + be64(9) + '\0')).reply_requested);
}

TEST(ReplicationFrame, ShortOrUnknownFramesAreErrorsNamingTheFrame) {
    EXPECT_THROW((void)parse_server_frame(""), pgoutput::ProtocolError);
    try {
        (void)parse_server_frame("w" + be64(1));
        FAIL() << "no error";
    } catch (const pgoutput::ProtocolError& e) {
        EXPECT_STREQ(e.what(), "replication XLogData frame: 9 byte(s), at least 25 expected");
    }
    try {
        (void)parse_server_frame("x");
        FAIL() << "no error";
    } catch (const pgoutput::ProtocolError& e) {
        EXPECT_STREQ(e.what(), "replication frame: unknown type 0x78");
    }
}

TEST(ReplicationFrame, StandbyStatusUpdateIsThirtyFourBytesBigEndian) {
    const std::string update =
        standby_status_update(pgoutput::Lsn{1}, pgoutput::Lsn{2}, pgoutput::Lsn{3}, 4, true);
    EXPECT_EQ(update, "r" + be64(1) + be64(2) + be64(3) + be64(4) + '\1');
    EXPECT_EQ(standby_status_update({}, {}, {}, 0, false).back(), '\0');
}

TEST(ReplicationFrame, TimeCountsFromTheYear2000) {
    using namespace std::chrono;
    EXPECT_EQ(to_pg_time(system_clock::time_point(seconds(946'684'800))), 0);
    EXPECT_EQ(to_pg_time(system_clock::time_point(seconds(946'684'801) + microseconds(5))),
              1'000'005);
}

}  // namespace
}  // namespace kt::pg::replication
