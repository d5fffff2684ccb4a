#include "lib/pg/replication_frame.hpp"

#include <fmt/format.h>

namespace kt::pg::replication {
namespace {

/// 2000-01-01 00:00:00 UTC in seconds since the Unix epoch.
constexpr std::int64_t kPgEpochUnixSeconds = 946'684'800;

std::uint64_t read_u64(std::string_view bytes, std::size_t at) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        value = (value << 8U) | static_cast<unsigned char>(bytes[at + i]);
    }
    return value;
}

void append_u64(std::string& out, std::uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((value >> static_cast<unsigned>(shift)) & 0xFFU));
    }
}

void need(std::string_view frame, std::size_t size, std::string_view what) {
    if (frame.size() < size) {
        throw pgoutput::ProtocolError(fmt::format(
            "replication {} frame: {} byte(s), at least {} expected", what, frame.size(), size));
    }
}

}  // namespace

ServerFrame parse_server_frame(std::string_view copy_data) {
    if (copy_data.empty()) throw pgoutput::ProtocolError("replication frame: empty");
    switch (copy_data[0]) {
        case 'w':
            need(copy_data, 25, "XLogData");
            return XLogData{Lsn{read_u64(copy_data, 1)}, Lsn{read_u64(copy_data, 9)},
                            static_cast<std::int64_t>(read_u64(copy_data, 17)),
                            copy_data.substr(25)};
        case 'k':
            need(copy_data, 18, "keepalive");
            return Keepalive{Lsn{read_u64(copy_data, 1)},
                             static_cast<std::int64_t>(read_u64(copy_data, 9)),
                             copy_data[17] != 0};
        default:
            throw pgoutput::ProtocolError(
                fmt::format("replication frame: unknown type {:#04x}", copy_data[0]));
    }
}

std::string standby_status_update(Lsn written, Lsn flushed, Lsn applied, std::int64_t time,
                                  bool reply_requested) {
    std::string out(1, 'r');
    out.reserve(34);
    append_u64(out, written.value);
    append_u64(out, flushed.value);
    append_u64(out, applied.value);
    append_u64(out, static_cast<std::uint64_t>(time));
    out.push_back(reply_requested ? '\1' : '\0');
    return out;
}

std::int64_t to_pg_time(std::chrono::system_clock::time_point time) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
    return micros - kPgEpochUnixSeconds * 1'000'000;
}

}  // namespace kt::pg::replication
