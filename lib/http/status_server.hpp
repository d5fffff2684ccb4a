#pragma once

#include <functional>
#include <memory>
#include <string>

#include "lib/http/check.hpp"
#include "lib/metrics/registry.hpp"
#include "lib/non_copyable.hpp"

namespace kt::http {

/// Where the status server listens.
struct StatusServerOptions {
    std::string host = "0.0.0.0";
    int port = 9464;  ///< 0 picks a free port; see StatusServer::port()
};

/// The `/status.json` document (see status_report.hpp); runs on a server thread, must be
/// thread-safe and quick.
using StatusFn = std::function<std::string()>;

/// Serves `/metrics` (Prometheus text from a Registry), `/healthz` and `/readyz` (200 with a
/// short text body when the check is ok, 503 with its reason otherwise) on its own threads;
/// with a StatusFn also `/status.json` and the status page at `/`.
///
/// The constructor binds and starts serving, or throws kt::Error naming the host and port.
/// `registry` must outlive the server; the checks run on server threads (an empty CheckFn
/// always passes; one that throws answers 503; a StatusFn that throws answers 500). Neither
/// copied nor moved.
class StatusServer : private NonCopyable {
public:
    /// Binds `options.host:options.port` and starts the serving thread.
    StatusServer(StatusServerOptions options, const metrics::Registry& registry, CheckFn healthz,
                 CheckFn readyz, StatusFn status = {});
    /// Stops like stop(); never throws.
    ~StatusServer();

    /// The bound port (the chosen one when the options asked for 0).
    [[nodiscard]] int port() const noexcept;
    /// Closes the listening socket, finishes requests in flight, ends idle and half-sent
    /// connections at once (a browser's kept-alive ones) and joins the threads, so it returns
    /// promptly. Idempotent and thread-safe; never throws.
    void stop() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace kt::http
