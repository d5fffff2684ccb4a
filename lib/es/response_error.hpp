#pragma once

#include <string>
#include <string_view>

#include "lib/error.hpp"
#include "lib/es/transport.hpp"

namespace kt::es {

/// `error.type` and `error.reason` of an Elasticsearch error body.
struct ErrorInfo {
    std::string type;    ///< empty when the body has none
    std::string reason;  ///< empty when the body has none
};

/// Reads the ES error of `body` (`{"error":{"type":…,"reason":…}}` or `{"error":"…"}`); never
/// throws, returns empty fields for anything else.
[[nodiscard]] ErrorInfo parse_error_body(std::string_view body);

/// An EsError for a non-2xx `response` to `request`: "elasticsearch PUT /x: HTTP 400
/// resource_already_exists_exception: <reason>", credentials removed by `transport`.
[[nodiscard]] EsError response_error(const Transport& transport, const Request& request,
                                     const Response& response);

/// A request carrying `body` as JSON (no content type when the body is empty).
[[nodiscard]] Request json_request(Method method, std::string target, std::string body = {});

/// Performs `request`; throws response_error(...) unless the answer is 2xx.
Response perform_checked(Transport& transport, const Request& request);

}  // namespace kt::es
