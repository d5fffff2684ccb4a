#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "lib/non_copyable.hpp"
#include "tools/es-standin/router.hpp"
#include "tools/es-standin/security.hpp"

namespace httplib {
class Server;
}

namespace kt::tools::standin {

/// TLS and required credentials; the defaults serve plain HTTP to anyone.
struct ServerSecurity {
    std::string tls_cert;  ///< PEM certificate (chain) file; with tls_key, serve HTTPS
    std::string tls_key;   ///< PEM private key file
    AuthOptions auth;

    /// True when HTTPS is served.
    [[nodiscard]] bool tls() const { return !tls_cert.empty(); }
};

/// Serves a Router over HTTP (cpp-httplib), with keep-alive, gzip, fault injection and a
/// background refresh ticker. The constructor binds or throws kt::Error.
class HttpServer : private NonCopyable {
public:
    /// Binds `host:port` (port 0 picks a free one); does not serve until `start()`. Throws
    /// kt::Error when the TLS certificate or key cannot be loaded.
    HttpServer(Router& router, const std::string& host, int port, ServerSecurity security = {});
    ~HttpServer();

    /// The bound port.
    [[nodiscard]] int port() const { return port_; }
    /// Starts serving on background threads.
    void start();
    /// Stops serving and joins the threads; safe to call twice.
    void stop();

private:
    void install_handlers();

    Router& router_;
    ServerSecurity security_;
    std::unique_ptr<httplib::Server> server_;
    int port_ = 0;
    std::thread listener_;
    std::thread ticker_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool started_ = false;
};

}  // namespace kt::tools::standin
