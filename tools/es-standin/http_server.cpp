#include "tools/es-standin/http_server.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <cctype>
#include <cstdlib>

#include "lib/error.hpp"

namespace kt::tools::standin {

namespace {

constexpr int kThreads = 32;
constexpr size_t kKeepAliveRequests = 1'000'000;
constexpr time_t kKeepAliveSeconds = 60;

int port_of(const sockaddr_storage& addr) {
    if (addr.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
    }
    if (addr.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
    }
    return -1;
}

/// Calls `visit(fd, peer_port, local_port)` for each connected socket of this process until it
/// returns true; returns that socket, or -1.
template <typename Visit>
int find_socket(Visit visit) {
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) return -1;
    int found = -1;
    while (dirent* entry = readdir(dir)) {
        const int fd = std::atoi(entry->d_name);
        if (fd <= 2) continue;
        sockaddr_storage peer{};
        sockaddr_storage local{};
        socklen_t peer_len = sizeof(peer);
        socklen_t local_len = sizeof(local);
        if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
        if (visit(fd, port_of(peer), port_of(local))) {
            found = fd;
            break;
        }
    }
    closedir(dir);
    return found;
}

/// Finds this process's connected socket whose peer port is `remote_port` and local port is
/// `local_port`, so a fault can cut that one connection without an answer.
int find_connection(int remote_port, int local_port) {
    return find_socket([&](int, int peer, int local) {
        return peer == remote_port && local == local_port;
    });
}

/// Shuts down every accepted connection on `local_port`, so keep-alive workers end at once.
void shutdown_connections(int local_port) {
    find_socket([&](int fd, int, int local) {
        if (local == local_port) shutdown(fd, SHUT_RDWR);
        return false;
    });
}

std::string percent_decode(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() &&
            std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

/// Splits the raw request target into decoded segments, so an encoded `/` stays in its segment
/// (date math index names such as `<logs-{now/d}>`).
std::vector<std::string> split_path(const std::string& target) {
    const std::string path = target.substr(0, target.find('?'));
    std::vector<std::string> out;
    size_t start = 0;
    while (start < path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        if (end > start) out.push_back(percent_decode(path.substr(start, end - start)));
        start = end + 1;
    }
    return out;
}

}  // namespace

namespace {

std::unique_ptr<httplib::Server> make_server(const ServerSecurity& security) {
    if (!security.tls()) return std::make_unique<httplib::Server>();
    if (security.tls_key.empty()) throw kt::Error("--tls-cert needs --tls-key");
    auto server =
        std::make_unique<httplib::SSLServer>(security.tls_cert.c_str(), security.tls_key.c_str());
    if (!server->is_valid()) {
        throw kt::Error("cannot load the TLS certificate " + security.tls_cert + " and key " +
                        security.tls_key);
    }
    return server;
}

}  // namespace

HttpServer::HttpServer(Router& router, const std::string& host, int port, ServerSecurity security)
    : router_(router), security_(std::move(security)), server_(make_server(security_)) {
    server_->new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
    server_->set_keep_alive_max_count(kKeepAliveRequests);
    server_->set_keep_alive_timeout(kKeepAliveSeconds);
    server_->set_tcp_nodelay(true);
    install_handlers();
    if (port == 0) {
        port_ = server_->bind_to_any_port(host);
    } else {
        port_ = server_->bind_to_port(host, port) ? port : -1;
    }
    if (port_ <= 0) {
        throw kt::Error("cannot listen on " + host + ":" + std::to_string(port));
    }
}

HttpServer::~HttpServer() {
    stop();
}

void HttpServer::install_handlers() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
        router_.stats().request();
        ApiRequest request;
        request.method = req.method;
        request.segments = split_path(req.target.empty() ? req.path : req.target);
        for (const auto& [key, value] : req.params) request.params[key] = value;
        request.body = req.body;
        const bool control = !request.segments.empty() && request.segments[0] == "_standin";
        // Like Elasticsearch with security on, authentication comes before anything else; the
        // stand-in's own control endpoint stays open so tests can inject faults.
        if (!control && security_.auth.enabled()) {
            const std::string* authorization = nullptr;
            if (req.has_header("Authorization")) {
                authorization = &req.headers.find("Authorization")->second;
            }
            if (const auto denied = authenticate(security_.auth, authorization, req.path)) {
                router_.stats().unauthorized();
                // Elasticsearch 8 sends no X-Elastic-Product header with a 401.
                res.status = denied->status();
                res.set_header("WWW-Authenticate", auth_challenge(security_.auth));
                res.set_content(denied->body().dump(), "application/json");
                return;
            }
        }
        const FaultConfig faults = router_.faults().config();
        if (!control && faults.latency_ms > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(faults.latency_ms));
        }
        if (!control && router_.faults().reset_connection()) {
            const int fd = find_connection(req.remote_port, req.local_port);
            if (fd >= 0) {
                const linger hard{1, 0};
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
                shutdown(fd, SHUT_RDWR);
                router_.stats().connection_reset();
            }
        }
        ApiResponse response;
        if (!control && faults.unavailable) {
            router_.stats().unavailable();
            const ApiError error(503, "cluster_block_exception",
                                 "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / "
                                 "initialized];");
            response = {503, error.body().dump()};
        } else {
            response = router_.handle(request);
        }
        res.status = response.status;
        res.set_header("X-Elastic-Product", "Elasticsearch");
        res.set_content(response.body, response.content_type);
    };
    server_->Get(".*", handler);
    server_->Post(".*", handler);
    server_->Put(".*", handler);
    server_->Delete(".*", handler);
}

void HttpServer::start() {
    std::lock_guard lock(mutex_);
    if (started_) return;
    started_ = true;
    listener_ = std::thread([this] { server_->listen_after_bind(); });
    // stop() is a no-op until the listener runs, so wait for it (bounded) before returning.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ticker_ = std::thread([this] {
        std::unique_lock guard(mutex_);
        while (!stopping_) {
            wake_.wait_for(guard, std::chrono::milliseconds(100));
            if (stopping_) break;
            guard.unlock();
            router_.tick();
            guard.lock();
        }
    });
}

void HttpServer::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_.notify_all();
    server_->stop();
    shutdown_connections(port_);
    if (listener_.joinable()) listener_.join();
    if (ticker_.joinable()) ticker_.join();
}

}  // namespace kt::tools::standin
