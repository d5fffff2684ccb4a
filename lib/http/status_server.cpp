#include "lib/http/status_server.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "lib/error.hpp"
#include "lib/http/status_page.hpp"
#include "lib/log/log.hpp"

namespace kt::http {
namespace {

constexpr std::size_t kWorkerThreads = 2;
constexpr time_t kKeepAliveSeconds = 1;
constexpr time_t kIoTimeoutSeconds = 5;
constexpr const char* kTextType = "text/plain; charset=utf-8";
constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kJsonType = "application/json";
constexpr const char* kHtmlType = "text/html; charset=utf-8";

Check run_check(const CheckFn& fn) {
    if (!fn) return {true, {}};
    try {
        return fn();
    } catch (const std::exception& e) {
        return {false, fmt::format("check failed: {}", e.what())};
    } catch (...) {
        return {false, "check failed"};
    }
}

void answer_check(const CheckFn& fn, httplib::Response& res) {
    const Check result = run_check(fn);
    std::string body = result.ok ? "ok" : "unavailable";
    if (!result.detail.empty()) body += ": " + result.detail;
    body += '\n';
    res.status = result.ok ? 200 : 503;
    res.set_content(body, kTextType);
}

// SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let a second
// process bind the same port silently instead of failing.
void reuse_address_only(socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

/// The local port of socket `fd` when it is a connected TCP socket that is not listening; -1
/// otherwise (not a socket, a listening one, closed meanwhile, not IPv4/IPv6, or unconnected).
int connected_local_port(int fd) {
    int listening = 0;
    socklen_t length = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening != 0) {
        return -1;
    }
    sockaddr_storage local{};
    length = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return -1;
    int port = -1;
    if (local.ss_family == AF_INET) {
        port = ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port);
    } else if (local.ss_family == AF_INET6) {
        port = ntohs(reinterpret_cast<const sockaddr_in6*>(&local)->sin6_port);
    }
    sockaddr_storage peer{};
    length = sizeof peer;
    if (port < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return -1;
    return port;
}

// httplib's stop() closes the listening socket, then waits for every accepted connection to
// end: one idle between requests (a browser keeps one or two open, some never used) ends only
// at the keep-alive timeout, a half-sent request only at the read timeout. It keeps no list of
// them, so after the listening socket is closed (nothing new is accepted on the port) this
// finds them among the process's descriptors: connected sockets whose local port is the
// server's. Shutting down their reading side ends those waits at once (the next read sees the
// end of the stream), while an answer being written still goes out in full.
void end_connections_on(int port) {
    std::vector<int> fds;
    if (DIR* dir = opendir("/proc/self/fd")) {
        while (const dirent* entry = readdir(dir)) {
            char* end = nullptr;
            const long fd = std::strtol(entry->d_name, &end, 10);
            if (end != entry->d_name && *end == '\0') fds.push_back(static_cast<int>(fd));
        }
        closedir(dir);
    }
    for (const int fd : fds) {
        if (connected_local_port(fd) == port) shutdown(fd, SHUT_RD);
    }
}

}  // namespace

struct StatusServer::Impl {
    httplib::Server server;
    std::thread thread;
    std::mutex stop_mutex;
    std::atomic<bool> listen_returned{false};
    bool stopped = false;
    int port = 0;
};

StatusServer::StatusServer(StatusServerOptions options, const metrics::Registry& registry,
                           CheckFn healthz, CheckFn readyz, StatusFn status)
    : impl_(std::make_unique<Impl>()) {
    if (options.port < 0 || options.port > 65535) {
        throw Error(fmt::format("status server: port {} is out of range 0..65535", options.port));
    }
    httplib::Server& server = impl_->server;
    server.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    server.set_socket_options(reuse_address_only);
    server.set_keep_alive_timeout(kKeepAliveSeconds);
    server.set_read_timeout(kIoTimeoutSeconds, 0);
    server.set_write_timeout(kIoTimeoutSeconds, 0);

    server.Get("/metrics", [&registry](const httplib::Request&, httplib::Response& res) {
        try {
            res.set_content(registry.render(), kMetricsType);
        } catch (const std::exception& e) {
            log::warn("status server: rendering metrics failed: {}", e.what());
            res.status = 500;
            res.set_content(fmt::format("rendering metrics failed: {}\n", e.what()), kTextType);
        }
    });
    server.Get("/healthz",
               [fn = std::move(healthz)](const httplib::Request&, httplib::Response& res) {
                   answer_check(fn, res);
               });
    server.Get("/readyz",
               [fn = std::move(readyz)](const httplib::Request&, httplib::Response& res) {
                   answer_check(fn, res);
               });

    if (status) {
        server.Get("/status.json", [fn = std::move(status)](const httplib::Request&,
                                                            httplib::Response& res) {
            try {
                res.set_content(fn(), kJsonType);
                res.set_header("Cache-Control", "no-store");
            } catch (const std::exception& e) {
                log::warn("status server: building the status failed: {}", e.what());
                res.status = 500;
                res.set_content(fmt::format("building the status failed: {}\n", e.what()),
                                kTextType);
            }
        });
        server.Get("/", [](const httplib::Request&, httplib::Response& res) {
            const std::string_view page = status_page_html();
            res.set_content(page.data(), page.size(), kHtmlType);
        });
    }

    errno = 0;
    int port = options.port;
    if (port == 0) {
        port = server.bind_to_any_port(options.host);
    } else if (!server.bind_to_port(options.host, port)) {
        port = -1;
    }
    if (port < 0) {
        const int err = errno;
        throw Error(fmt::format("status server: cannot listen on {}:{}{}", options.host,
                                options.port,
                                err != 0 ? fmt::format(": {}", std::strerror(err)) : ""));
    }
    impl_->port = port;
    Impl* impl = impl_.get();
    impl->thread = std::thread([impl] {
        impl->server.listen_after_bind();
        impl->listen_returned = true;
    });

    // httplib's stop() does nothing until the accept loop runs, so wait for it here; that
    // makes stop() right after construction reliable. It starts within microseconds.
    while (!server.is_running() && !impl->listen_returned) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    log::info("status server listening on {}:{}", options.host, port);
}

StatusServer::~StatusServer() {
    stop();
}

int StatusServer::port() const noexcept {
    return impl_->port;
}

void StatusServer::stop() noexcept {
    try {
        const std::lock_guard lock(impl_->stop_mutex);
        if (impl_->stopped) return;
        impl_->stopped = true;
        if (impl_->thread.joinable()) {
            impl_->server.stop();
            end_connections_on(impl_->port);
            impl_->thread.join();
        }
    } catch (...) {
        // A failure to stop cleanly must not escape a destructor.
    }
}

}  // namespace kt::http
