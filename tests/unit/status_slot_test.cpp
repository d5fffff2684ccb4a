#include <gtest/gtest.h>

#include "workers/status/status.hpp"

namespace kt::workers {
namespace {

SlotStatus streaming() {
    SlotStatus s;
    s.slot = "kt_capture";
    s.publication = "kt_pub";
    pg::SlotReader r;
    r.active = true;
    r.active_pid = 812;
    r.application_name = "kt-capture host-a:4711";
    r.client_addr = "10.0.0.7";
    r.confirmed_flush = "0/1A2B3C4";
    r.lag_bytes = 3 * 1024 * 1024 / 2;
    s.reader = r;
    return s;
}

TEST(StatusSlot, NamesTheReplicaThatStreamsAndHowFarBehindItIs) {
    EXPECT_EQ(slot_reader_line(streaming()),
              "capture kt_capture: slot streamed by kt-capture host-a:4711 (from 10.0.0.7, WAL "
              "sender pid 812); 1.5 MiB behind the server, confirmed up to 0/1A2B3C4");
    const http::GroupStatus g = slot_group(streaming());
    EXPECT_EQ(g.worker, "capture");
    EXPECT_EQ(g.group, "kt_capture");
    EXPECT_EQ(g.topic, "kt_pub");
    EXPECT_EQ(g.problem, "");
}

TEST(StatusSlot, AnInactiveMissingOrUnreadableSlotIsTheGroupsProblem) {
    SlotStatus inactive = streaming();
    inactive.reader->active = false;
    inactive.reader->lag_bytes = 512 * 1024 * 1024;
    EXPECT_EQ(slot_reader_line(inactive), "");
    EXPECT_EQ(slot_group(inactive).problem,
              "the slot is inactive: nothing reads it and it holds 512.0 MiB of WAL: start "
              "kt-capture, or remove it with kt capture drop");
    SlotStatus missing = streaming();
    missing.reader.reset();
    EXPECT_EQ(slot_group(missing).problem, "the slot does not exist: kt capture init creates it");
    SlotStatus unreadable = streaming();
    unreadable.reader.reset();
    unreadable.error = "replication slot kt_capture: connection refused";
    EXPECT_EQ(slot_group(unreadable).problem, unreadable.error);
}

TEST(StatusSlot, TruncatedTablesOfAnyReplicaAreMergedButAStandbysStateIsNot) {
    http::StatusReport report;
    report.groups.push_back(slot_group(streaming()));
    http::StatusReport live;
    http::GroupStatus standby;
    standby.worker = "capture";
    standby.group = "kt_capture";
    standby.problem = "standby: another replica streams the slot";
    live.groups.push_back(standby);
    http::GroupStatus streamer = standby;
    streamer.problem = "table public.brands was truncated at 2026-12-07T06:00:00Z: index "
                       "products needs `kt reindex products`";
    live.groups.push_back(streamer);
    merge_capture_problems(report, live);
    merge_capture_problems(report, live);  // twice: said once
    EXPECT_EQ(report.groups[0].problem, streamer.problem);
}

}  // namespace
}  // namespace kt::workers
