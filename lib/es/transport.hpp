#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kt::es {

/// HTTP methods the client uses.
enum class Method { kGet, kHead, kPost, kPut, kDelete };

/// The method's name as sent on the wire, e.g. "GET".
[[nodiscard]] std::string_view method_name(Method method) noexcept;

/// Header name/value pairs in the order they were sent or received.
using Headers = std::vector<std::pair<std::string, std::string>>;

/// One HTTP request relative to the transport's base URL.
struct Request {
    Method method = Method::kGet;
    std::string target;  ///< path and query, e.g. `/products/_bulk?filter_path=errors`
    std::string body;
    std::string content_type;  ///< empty when there is no body
    Headers headers;
};

/// One HTTP response; any status, including 4xx and 5xx, is a response, not an error.
struct Response {
    int status = 0;
    std::string body;  ///< already decompressed
    Headers headers;   ///< names in lower case

    /// The first header named `name` (lower case), or nullptr.
    [[nodiscard]] const std::string* header(std::string_view name) const;
};

/// Sends one request and returns the answer; the test seam of BulkClient and IndexAdmin.
/// Implementations throw kt::TransientError when no answer arrived (connection error, timeout).
class Transport {
public:
    virtual ~Transport() = default;
    /// Performs `request`; not required to be thread-safe.
    virtual Response perform(const Request& request) = 0;
    /// Removes credentials from `text` before it goes into a log line or an exception.
    [[nodiscard]] virtual std::string redact(std::string text) const { return text; }
};

/// `segment` percent-encoded for use as one path segment (index or alias names).
[[nodiscard]] std::string encode_path_segment(std::string_view segment);

}  // namespace kt::es
