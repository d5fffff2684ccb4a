#include "tests/support/http_server.hpp"

#include <chrono>
#include <stdexcept>

#include "tests/support/test_env.hpp"

namespace kt::test {

LocalHttpServer::LocalHttpServer(const std::function<void(httplib::Server&)>& routes) {
    routes(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    if (!wait_until([this] { return server_.is_running(); }, std::chrono::seconds(5))) {
        server_.stop();
        thread_.join();
        throw std::runtime_error("a local HTTP server did not start");
    }
}

LocalHttpServer::~LocalHttpServer() {
    server_.stop();
    thread_.join();
}

}  // namespace kt::test
