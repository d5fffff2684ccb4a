#pragma once

#include <array>
#include <string>

#include "lib/es/detail/curl_handles.hpp"
#include "lib/es/options.hpp"
#include "lib/es/transport.hpp"
#include "lib/non_copyable.hpp"

namespace kt::es {

/// Bodies larger than this are gzip-compressed when Options::compression is on.
inline constexpr std::size_t kCompressThreshold = 1024;

/// Transport over libcurl: one reused easy handle (keep-alive), basic or API-key auth, CA file,
/// timeout, gzip request bodies, `Accept-Encoding: gzip`.
/// Not thread-safe: use one object per thread. Connection errors and timeouts throw
/// kt::TransientError and leave the object usable; a bad URL or CA file throws kt::Error.
class CurlTransport final : public Transport, private NonCopyable {
public:
    /// Prepares the handle; connects lazily on the first request.
    explicit CurlTransport(Options options);

    /// Sends `request` to `<url><request.target>` and returns any HTTP answer.
    Response perform(const Request& request) override;
    /// `text` without the credentials of these options.
    [[nodiscard]] std::string redact(std::string text) const override;
    /// The base URL with credentials removed, for messages.
    [[nodiscard]] std::string display_url() const;

private:
    Options options_;
    std::string base_url_;  ///< url without a trailing '/'
    detail::EasyPtr easy_;
    std::array<char, CURL_ERROR_SIZE> error_buffer_{};
};

}  // namespace kt::es
