#pragma once

#include <httplib.h>

#include <functional>
#include <string>
#include <thread>

#include "lib/non_copyable.hpp"

namespace kt::test {

/// An HTTP server on a free loopback port, served by a thread of its own until the object goes:
/// a fake search engine, a proxy, a page. Neither copied nor moved.
class LocalHttpServer : private NonCopyable {
public:
    /// `routes` registers the handlers (and socket options) before the server listens; throws
    /// std::runtime_error when it does not run within 5 s.
    explicit LocalHttpServer(const std::function<void(httplib::Server&)>& routes);
    /// Stops the server and joins its thread.
    ~LocalHttpServer();

    /// The port it listens on.
    [[nodiscard]] int port() const { return port_; }
    /// `http://127.0.0.1:<port>`.
    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
};

}  // namespace kt::test
