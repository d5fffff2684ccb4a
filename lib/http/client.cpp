#include "lib/http/client.hpp"

#include <httplib.h>

#include <fmt/format.h>

#include "lib/error.hpp"

namespace kt::http {

std::string get_text(const std::string& url, std::chrono::milliseconds timeout) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos || url.compare(0, scheme_end, "http") != 0) {
        throw Error(fmt::format("{}: not an http:// URL", url));
    }
    const auto path_start = url.find('/', scheme_end + 3);
    const std::string base = url.substr(0, path_start);
    const std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
    if (base.size() == scheme_end + 3) throw Error(fmt::format("{}: no host in the URL", url));

    httplib::Client client(base);
    const auto seconds = static_cast<time_t>(timeout.count() / 1000);
    const auto micros = static_cast<time_t>((timeout.count() % 1000) * 1000);
    client.set_connection_timeout(seconds, micros);
    client.set_read_timeout(seconds, micros);
    client.set_write_timeout(seconds, micros);
    const auto res = client.Get(path);
    if (!res) throw Error(fmt::format("{}: {}", url, httplib::to_string(res.error())), true);
    if (res->status != 200) {
        throw Error(fmt::format("{}: answered HTTP {}", url, res->status), res->status >= 500);
    }
    return res->body;
}

}  // namespace kt::http
