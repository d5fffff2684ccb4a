#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lib/non_copyable.hpp"

namespace kt::devbroker {

/// What the secure front asks of clients.
struct FrontOptions {
    std::string tls_cert;  ///< PEM certificate (chain); with tls_key, clients must speak TLS
    std::string tls_key;   ///< PEM private key
    /// SASL/PLAIN user and password clients must authenticate with; none: no SASL.
    std::optional<std::pair<std::string, std::string>> sasl_plain;
};

/// A TLS and/or SASL/PLAIN front for the mock brokers, which speak neither: one listener per
/// broker on 127.0.0.1 that terminates TLS, answers SaslHandshake and SaslAuthenticate itself
/// (a failed authentication is answered with SASL_AUTHENTICATION_FAILED and the connection
/// closed), then relays requests to its broker one at a time, rewriting the broker ports in
/// Metadata and FindCoordinator answers to the front's (and adding the SASL APIs to ApiVersions)
/// so that clients stay on the front. Development only. Throws kt::Error when it cannot listen
/// or load the certificate.
class SecureFront : private NonCopyable {
public:
    /// Fronts the brokers of `bootstrap` (`127.0.0.1:PORT,...`).
    SecureFront(const std::string& bootstrap, FrontOptions options);
    ~SecureFront();

    /// The front's `127.0.0.1:PORT,...`, in broker order.
    [[nodiscard]] std::string bootstrap() const;
    /// Stops listening, cuts every relayed connection and joins the threads.
    void stop();

private:
    struct Listener;
    void accept_loop(Listener& listener);
    void serve(int client_fd, int upstream_port);

    FrontOptions options_;
    std::shared_ptr<void> tls_;  ///< SSL_CTX when TLS is on
    std::map<int, int> ports_;   ///< broker port -> front port
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::vector<int> open_fds_;
    std::vector<std::thread> threads_;
};

}  // namespace kt::devbroker
