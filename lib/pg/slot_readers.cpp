#include "lib/pg/slot_readers.hpp"

#include <pqxx/pqxx>

#include <memory>
#include <utility>

#include "lib/pg/detail/conninfo.hpp"
#include "lib/pg/detail/failure.hpp"
#include "lib/pg/error.hpp"

namespace kt::pg {

struct SlotProbe::Session {
    explicit Session(const std::string& conninfo) : conn(conninfo) {}
    pqxx::connection conn;
};

SlotProbe::SlotProbe(std::string url, std::string slot, std::chrono::seconds connect_timeout)
    : url_(std::move(url)), slot_(std::move(slot)), connect_timeout_(connect_timeout) {}

SlotProbe::~SlotProbe() = default;

std::optional<SlotReader> SlotProbe::read() {
    bool connected = session_ != nullptr;
    try {
        if (!session_) {
            session_ = std::make_unique<Session>(
                detail::with_session_options(url_, "kt slot probe", connect_timeout_));
            connected = true;
        }
        pqxx::nontransaction tx(session_->conn);
        const auto rows = tx.exec_params(
            "SELECT s.active, s.active_pid, r.application_name, host(r.client_addr), "
            "  s.confirmed_flush_lsn::text, "
            "  COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn), 0)::bigint "
            "FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid "
            "WHERE s.slot_name = $1",
            slot_);
        if (rows.empty()) return std::nullopt;
        const auto& row = rows[0];
        SlotReader out;
        out.active = row[0].as<bool>();
        if (!row[1].is_null()) out.active_pid = row[1].as<int>();
        if (!row[2].is_null()) out.application_name = row[2].c_str();
        if (!row[3].is_null()) out.client_addr = row[3].c_str();
        if (!row[4].is_null()) out.confirmed_flush = row[4].c_str();
        out.lag_bytes = row[5].as<std::int64_t>();
        return out;
    } catch (...) {
        session_.reset();
        const auto state =
            connected ? detail::ConnectionState::kOpen : detail::ConnectionState::kNeverMade;
        detail::throw_failure(detail::current_failure(url_, state, 0),
                              "replication slot " + slot_);
    }
}

std::optional<SlotReader> slot_reader(const std::string& url, const std::string& slot) {
    SlotProbe probe(url, slot);
    return probe.read();
}

}  // namespace kt::pg
