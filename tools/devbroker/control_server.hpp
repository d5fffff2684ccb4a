#pragma once

#include <memory>
#include <thread>

#include "lib/non_copyable.hpp"
#include "tools/devbroker/detail/mock_cluster.hpp"

namespace httplib {
class Server;
}

namespace kt::devbroker {

/// JSON-over-HTTP control endpoint on 127.0.0.1 for tests: topic creation and fault injection.
/// Serves on its own threads from construction until stop() or destruction.
class ControlServer : private NonCopyable {
public:
    /// Binds 127.0.0.1:`port` (0 = any free port) and starts serving; throws kt::Error.
    ControlServer(MockCluster& cluster, int port);
    /// Stops serving and joins the listener thread.
    ~ControlServer();

    /// The bound port.
    [[nodiscard]] int port() const noexcept { return port_; }
    /// Stops accepting requests and joins the listener; idempotent.
    void stop();

private:
    void add_routes();

    MockCluster& cluster_;
    std::unique_ptr<httplib::Server> server_;
    int port_ = 0;
    std::thread listener_;
};

}  // namespace kt::devbroker
