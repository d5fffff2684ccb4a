#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "lib/non_copyable.hpp"

namespace kt::pg {

/// A libpq server version number as PostgreSQL writes it: 150010 → "15.10", 90624 → "9.6.24".
[[nodiscard]] std::string server_version_name(int server_version);

/// Tells whether PostgreSQL answers: keeps one connection and runs `SELECT 1` on it,
/// reconnecting when it was lost. Connecting is lazy (the constructor never throws for an
/// unreachable server). Not thread-safe: use it from one thread.
class Pinger : private NonCopyable {
public:
    /// For `url`; `timeout` bounds connecting and the statement.
    explicit Pinger(std::string url, std::chrono::seconds timeout = std::chrono::seconds(3));
    ~Pinger();

    /// Runs `SELECT 1`; throws ConnectionError (password scrubbed) when the server does not
    /// answer. The next call after a failure connects afresh.
    void ping();
    /// The server's version number as libpq reports it (150010 for 15.10); connects like
    /// ping() and throws what it throws.
    int server_version();

private:
    struct Session;

    std::string url_;
    std::string conninfo_;
    std::chrono::seconds timeout_;
    std::unique_ptr<Session> session_;
};

}  // namespace kt::pg
