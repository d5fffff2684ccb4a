#pragma once

#include <chrono>
#include <string>

namespace kt::http {

/// GETs `url` (`http://host:port/path`) and returns the body of a 200 answer; throws kt::Error
/// naming the URL and what went wrong (bad URL, no answer within `timeout`, another status).
[[nodiscard]] std::string get_text(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace kt::http
