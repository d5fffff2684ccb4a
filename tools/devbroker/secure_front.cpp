#include "lib/non_copyable.hpp"
#include "tools/devbroker/secure_front.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <sstream>

#include "lib/error.hpp"
#include "lib/log/log.hpp"
#include "tools/devbroker/kafka_frames.hpp"

namespace kt::devbroker {

namespace {

constexpr std::int16_t kUnsupportedSaslMechanism = 33;
constexpr std::int16_t kIllegalSaslState = 34;
constexpr std::int16_t kSaslAuthenticationFailed = 58;
constexpr std::uint32_t kMaxFrame = 64U * 1024U * 1024U;

int listen_loopback(int& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw Error("secure front: socket failed");
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd, 64) != 0) {
        ::close(fd);
        throw Error("secure front: cannot listen on 127.0.0.1");
    }
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    return fd;
}

int connect_loopback(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return -1;
    }
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    return fd;
}

/// One side of a relayed connection: a plain socket or a TLS session on it.
class Stream : private NonCopyable {
public:
    Stream(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
    ~Stream() {
        if (ssl_ != nullptr) SSL_free(ssl_);
    }

    bool read_exact(char* out, std::size_t n) {
        while (n > 0) {
            const long got =
                ssl_ != nullptr
                    ? SSL_read(ssl_, out, static_cast<int>(std::min<std::size_t>(n, 1 << 20)))
                    : ::read(fd_, out, n);
            if (got <= 0) return false;
            out += got;
            n -= static_cast<std::size_t>(got);
        }
        return true;
    }
    bool write_all(const char* data, std::size_t n) {
        while (n > 0) {
            const long put = ssl_ != nullptr ? SSL_write(ssl_, data, static_cast<int>(n))
                                             : ::send(fd_, data, n, MSG_NOSIGNAL);
            if (put <= 0) return false;
            data += put;
            n -= static_cast<std::size_t>(put);
        }
        return true;
    }
    /// One size-prefixed frame, without its size; nullopt at the end or on a bad size.
    std::optional<std::string> read_frame() {
        unsigned char size_bytes[4];
        if (!read_exact(reinterpret_cast<char*>(size_bytes), 4)) return std::nullopt;
        const std::uint32_t size = (std::uint32_t{size_bytes[0]} << 24U) |
                                   (std::uint32_t{size_bytes[1]} << 16U) |
                                   (std::uint32_t{size_bytes[2]} << 8U) | size_bytes[3];
        if (size > kMaxFrame) return std::nullopt;
        std::string frame(size, '\0');
        if (!read_exact(frame.data(), size)) return std::nullopt;
        return frame;
    }
    bool write_frame(const std::string& frame) {
        const auto size = static_cast<std::uint32_t>(frame.size());
        const char size_bytes[4] = {static_cast<char>(size >> 24U), static_cast<char>(size >> 16U),
                                    static_cast<char>(size >> 8U), static_cast<char>(size)};
        return write_all(size_bytes, 4) && write_all(frame.data(), frame.size());
    }

private:
    int fd_;
    SSL* ssl_;
};

std::string tls_error() {
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        std::array<char, 256> buf{};
        ERR_error_string_n(e, buf.data(), buf.size());
        out += (out.empty() ? "" : "; ") + std::string(buf.data());
    }
    return out.empty() ? "unknown TLS error" : out;
}

}  // namespace

struct SecureFront::Listener {
    int fd = -1;
    int port = 0;
    int upstream_port = 0;
    std::thread thread;
};

SecureFront::SecureFront(const std::string& bootstrap, FrontOptions options)
    : options_(std::move(options)) {
    if (!options_.tls_cert.empty()) {
        SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
        if (ctx == nullptr) throw Error("secure front: " + tls_error());
        tls_ = std::shared_ptr<void>(ctx, [](void* p) { SSL_CTX_free(static_cast<SSL_CTX*>(p)); });
        if (SSL_CTX_use_certificate_chain_file(ctx, options_.tls_cert.c_str()) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, options_.tls_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            throw Error(fmt::format("cannot load the TLS certificate {} and key {}: {}",
                                    options_.tls_cert, options_.tls_key, tls_error()));
        }
    }
    std::istringstream in(bootstrap);
    for (std::string broker; std::getline(in, broker, ',');) {
        auto listener = std::make_unique<Listener>();
        listener->upstream_port = std::stoi(broker.substr(broker.rfind(':') + 1));
        listener->fd = listen_loopback(listener->port);
        ports_[listener->upstream_port] = listener->port;
        listeners_.push_back(std::move(listener));
    }
    for (auto& listener : listeners_) {
        listener->thread = std::thread([this, l = listener.get()] { accept_loop(*l); });
    }
}

SecureFront::~SecureFront() {
    stop();
}

std::string SecureFront::bootstrap() const {
    std::string out;
    for (const auto& listener : listeners_) {
        out += (out.empty() ? "" : ",") + fmt::format("127.0.0.1:{}", listener->port);
    }
    return out;
}

void SecureFront::stop() {
    if (stopping_.exchange(true)) return;
    for (auto& listener : listeners_) ::shutdown(listener->fd, SHUT_RDWR);
    for (auto& listener : listeners_) {
        if (listener->thread.joinable()) listener->thread.join();
        ::close(listener->fd);
    }
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        for (const int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
        threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
}

void SecureFront::accept_loop(Listener& listener) {
    while (!stopping_) {
        const int fd = ::accept(listener.fd, nullptr, nullptr);
        if (fd < 0) {
            if (stopping_ || errno == EINVAL || errno == EBADF) return;
            continue;
        }
        std::lock_guard lock(mutex_);
        if (stopping_) {
            ::close(fd);
            return;
        }
        open_fds_.push_back(fd);
        threads_.emplace_back([this, fd, port = listener.upstream_port] { serve(fd, port); });
    }
}

void SecureFront::serve(int client_fd, int upstream_port) {
    const int upstream_fd = connect_loopback(upstream_port);
    {
        std::lock_guard lock(mutex_);
        if (upstream_fd >= 0) open_fds_.push_back(upstream_fd);
    }
    const auto forget = [&] {
        std::lock_guard lock(mutex_);
        std::erase(open_fds_, client_fd);
        std::erase(open_fds_, upstream_fd);
        ::close(client_fd);
        if (upstream_fd >= 0) ::close(upstream_fd);
    };
    if (upstream_fd < 0) {
        forget();
        return;
    }
    SSL* ssl = nullptr;
    if (tls_) {
        ssl = SSL_new(static_cast<SSL_CTX*>(tls_.get()));
        SSL_set_fd(ssl, client_fd);
        if (SSL_accept(ssl) != 1) {
            log::info("secure front: TLS handshake failed: {}", tls_error());
            SSL_free(ssl);
            forget();
            return;
        }
    }
    {
        Stream client(client_fd, ssl);
        Stream upstream(upstream_fd, nullptr);
        bool authenticated = !options_.sasl_plain.has_value();
        bool handshaken = false;
        const bool add_sasl = options_.sasl_plain.has_value();
        while (auto request = client.read_frame()) {
            const auto header = parse_request_header(*request);
            if (!header) break;
            const std::string_view body = std::string_view(*request).substr(header->body_offset);
            if (!authenticated && header->api_key == kApiSaslHandshake) {
                const auto mechanism = sasl_handshake_mechanism(body);
                const bool plain = mechanism && *mechanism == "PLAIN";
                handshaken = plain;
                if (!client.write_frame(sasl_handshake_response(
                        header->correlation_id, plain ? 0 : kUnsupportedSaslMechanism, "PLAIN")) ||
                    !plain) {
                    break;
                }
                continue;
            }
            if (!authenticated && header->api_key == kApiSaslAuthenticate) {
                const auto token = sasl_authenticate_bytes(body);
                const auto& [user, password] = *options_.sasl_plain;
                authenticated = handshaken && token && plain_token_matches(*token, user, password);
                const std::int16_t error = !handshaken     ? kIllegalSaslState
                                           : authenticated ? std::int16_t{0}
                                                           : kSaslAuthenticationFailed;
                (void)client.write_frame(sasl_authenticate_response(
                    header->correlation_id, header->api_version, error,
                    authenticated ? "" : "Authentication failed: Invalid username or password"));
                if (!authenticated) break;  // Kafka closes the connection after a failure
                continue;
            }
            if (!authenticated && header->api_key != kApiVersions) break;  // before auth
            if (!upstream.write_frame(*request)) break;
            auto response = upstream.read_frame();
            if (!response) break;
            (void)rewrite_response(*response, header->api_key, header->api_version, ports_,
                                   add_sasl);
            if (!client.write_frame(*response)) break;
        }
        if (ssl != nullptr) SSL_shutdown(ssl);
    }  // frees the TLS session
    forget();
}

}  // namespace kt::devbroker
