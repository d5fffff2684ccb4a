#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kt::tools::standin {

/// Query-string parameters of a request (last value wins).
using Params = std::map<std::string, std::string>;

/// A REST request, independent of the HTTP library.
struct ApiRequest {
    std::string method;                 ///< GET, HEAD, POST, PUT, DELETE
    std::vector<std::string> segments;  ///< decoded path segments, e.g. {"idx", "_doc", "1"}
    Params params;
    std::string body;
};

/// A REST response: status and JSON body text.
struct ApiResponse {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    bool filtered = false;  ///< `filter_path` was applied while writing the body
};

/// The parameter `name`, if given.
inline std::optional<std::string> param(const Params& params, const std::string& name) {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return it->second;
}

}  // namespace kt::tools::standin
