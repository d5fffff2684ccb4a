#include "tools/devbroker/kafka_frames.hpp"

namespace kt::devbroker {

namespace {

/// Reads big-endian fields from a frame; any read past the end makes ok() false.
class Reader {
public:
    explicit Reader(std::string_view data, std::size_t at = 0) : data_(data), at_(at) {}

    [[nodiscard]] bool ok() const { return ok_; }
    [[nodiscard]] std::size_t at() const { return at_; }

    std::int64_t integer(std::size_t bytes) {
        if (!ok_ || at_ + bytes > data_.size()) {
            ok_ = false;
            return 0;
        }
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < bytes; ++i) {
            v = (v << 8U) | static_cast<unsigned char>(data_[at_ + i]);
        }
        at_ += bytes;
        // Sign-extend.
        const unsigned shift = static_cast<unsigned>(64 - 8 * bytes);
        return static_cast<std::int64_t>(v << shift) >> shift;
    }
    std::int16_t i16() { return static_cast<std::int16_t>(integer(2)); }
    std::int32_t i32() { return static_cast<std::int32_t>(integer(4)); }
    /// A (nullable) string with an int16 length; nullopt for null.
    std::optional<std::string> string() {
        const std::int16_t n = i16();
        if (n < 0) return std::nullopt;
        return take(static_cast<std::size_t>(n));
    }
    /// Bytes with an int32 length.
    std::string bytes() {
        const std::int32_t n = i32();
        if (n < 0) return {};
        return take(static_cast<std::size_t>(n));
    }
    void skip_string() { (void)string(); }

private:
    std::string take(std::size_t n) {
        if (!ok_ || at_ + n > data_.size()) {
            ok_ = false;
            return {};
        }
        std::string out(data_.substr(at_, n));
        at_ += n;
        return out;
    }

    std::string_view data_;
    std::size_t at_;
    bool ok_ = true;
};

void put(std::string& out, std::int64_t value, std::size_t bytes) {
    for (std::size_t i = bytes; i-- > 0;) {
        out.push_back(static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xFFU));
    }
}

void put_at(std::string& out, std::size_t at, std::int64_t value, std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i) {
        out[at + i] =
            static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * (bytes - 1 - i))) & 0xFFU);
    }
}

void put_string(std::string& out, std::string_view s) {
    put(out, static_cast<std::int64_t>(s.size()), 2);
    out.append(s);
}

/// Rewrites the port that follows node_id and host at the reader's position.
void rewrite_broker(std::string& frame, Reader& in, const std::map<int, int>& ports) {
    (void)in.i32();  // node_id
    in.skip_string();
    const std::size_t port_at = in.at();
    const std::int32_t port = in.i32();
    if (!in.ok()) return;
    if (const auto it = ports.find(port); it != ports.end()) put_at(frame, port_at, it->second, 4);
}

bool rewrite_metadata(std::string& frame, std::int16_t version, const std::map<int, int>& ports) {
    if (version > 8) return false;  // flexible from v9
    Reader in(frame, 4);
    if (version >= 3) (void)in.i32();  // throttle_time_ms
    const std::int32_t brokers = in.i32();
    for (std::int32_t i = 0; i < brokers && in.ok(); ++i) {
        rewrite_broker(frame, in, ports);
        if (version >= 1) in.skip_string();  // rack
    }
    return in.ok();
}

bool rewrite_find_coordinator(std::string& frame, std::int16_t version,
                              const std::map<int, int>& ports) {
    if (version > 2) return false;  // flexible from v3
    Reader in(frame, 4);
    if (version >= 1) (void)in.i32();    // throttle_time_ms
    (void)in.i16();                      // error_code
    if (version >= 1) in.skip_string();  // error_message
    rewrite_broker(frame, in, ports);
    return in.ok();
}

bool add_sasl_versions(std::string& frame, std::int16_t version) {
    if (version > 2) return false;  // flexible from v3
    Reader in(frame, 4);
    (void)in.i16();  // error_code
    const std::size_t count_at = in.at();
    const std::int32_t count = in.i32();
    if (!in.ok() || count < 0) return false;
    bool has_handshake = false;
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
        if (in.i16() == kApiSaslHandshake) has_handshake = true;
        (void)in.i16();
        (void)in.i16();
    }
    if (!in.ok()) return false;
    if (has_handshake) return true;
    std::string entries;
    for (const std::int16_t key : {kApiSaslHandshake, kApiSaslAuthenticate}) {
        put(entries, key, 2);
        put(entries, 0, 2);
        put(entries, 1, 2);
    }
    frame.insert(in.at(), entries);
    put_at(frame, count_at, count + 2, 4);
    return true;
}

}  // namespace

std::optional<RequestHeader> parse_request_header(std::string_view frame) {
    Reader in(frame);
    RequestHeader header;
    header.api_key = in.i16();
    header.api_version = in.i16();
    header.correlation_id = in.i32();
    in.skip_string();  // client_id
    if (!in.ok()) return std::nullopt;
    header.body_offset = in.at();
    return header;
}

std::optional<std::string> sasl_handshake_mechanism(std::string_view body) {
    Reader in(body);
    auto mechanism = in.string();
    if (!in.ok() || !mechanism) return std::nullopt;
    return mechanism;
}

std::optional<std::string> sasl_authenticate_bytes(std::string_view body) {
    Reader in(body);
    std::string bytes = in.bytes();
    if (!in.ok()) return std::nullopt;
    return bytes;
}

bool plain_token_matches(std::string_view token, std::string_view user, std::string_view password) {
    const auto first = token.find('\0');
    if (first == std::string_view::npos) return false;
    const auto second = token.find('\0', first + 1);
    if (second == std::string_view::npos) return false;
    return token.substr(first + 1, second - first - 1) == user &&
           token.substr(second + 1) == password;
}

std::string sasl_handshake_response(std::int32_t correlation_id, std::int16_t error,
                                    std::string_view mechanism) {
    std::string out;
    put(out, correlation_id, 4);
    put(out, error, 2);
    put(out, 1, 4);
    put_string(out, mechanism);
    return out;
}

std::string sasl_authenticate_response(std::int32_t correlation_id, std::int16_t version,
                                       std::int16_t error, std::string_view message) {
    std::string out;
    put(out, correlation_id, 4);
    put(out, error, 2);
    if (message.empty()) {
        put(out, -1, 2);
    } else {
        put_string(out, message);
    }
    put(out, 0, 4);                    // auth_bytes: empty
    if (version >= 1) put(out, 0, 8);  // session_lifetime_ms: no re-authentication
    return out;
}

bool rewrite_response(std::string& frame, std::int16_t api_key, std::int16_t version,
                      const std::map<int, int>& ports, bool add_sasl) {
    switch (api_key) {
        case kApiMetadata:
            return rewrite_metadata(frame, version, ports);
        case kApiFindCoordinator:
            return rewrite_find_coordinator(frame, version, ports);
        case kApiVersions:
            return !add_sasl || add_sasl_versions(frame, version);
        default:
            return true;
    }
}

}  // namespace kt::devbroker
