#include "lib/es/curl_transport.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <string_view>
#include <utility>

#include "lib/error.hpp"
#include "lib/es/detail/gzip.hpp"

namespace kt::es {

namespace detail {

void ensure_curl_global_init() {
    static std::once_flag once;
    static CURLcode result = CURLE_OK;
    std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (result != CURLE_OK) {
        throw Error(fmt::format("curl_global_init failed: {}", curl_easy_strerror(result)));
    }
}

}  // namespace detail

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* headers = static_cast<Headers*>(user);
    const std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
        headers->clear();  // a new response (after 100 Continue or a redirect) starts
        return size * count;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return size * count;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ' ||
                              value.back() == '\t')) {
        value.remove_suffix(1);
    }
    headers->emplace_back(std::move(name), std::string(value));
    return size * count;
}

// Failures where waiting cannot help: the configuration is wrong.
bool is_permanent(CURLcode code) {
    switch (code) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_BAD_FUNCTION_ARGUMENT:
        case CURLE_OUT_OF_MEMORY:
            return true;
        default:
            return false;
    }
}

void append_header(detail::SlistPtr& list, const std::string& line) {
    curl_slist* next = curl_slist_append(list.get(), line.c_str());
    if (next == nullptr) throw Error("curl_slist_append failed");
    (void)list.release();
    list.reset(next);
}

}  // namespace

CurlTransport::CurlTransport(Options options) : options_(std::move(options)) {
    detail::ensure_curl_global_init();
    base_url_ = options_.url;
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
    easy_.reset(curl_easy_init());
    if (!easy_) throw Error("curl_easy_init failed");
}

std::string CurlTransport::redact(std::string text) const {
    return es::redact(std::move(text), options_);
}

std::string CurlTransport::display_url() const {
    return redact(base_url_);
}

Response CurlTransport::perform(const Request& request) {
    CURL* h = easy_.get();
    // Reset keeps live connections, so keep-alive survives; every option is set again below.
    curl_easy_reset(h);
    error_buffer_[0] = '\0';

    const std::string url = base_url_ + request.target;
    detail::SlistPtr headers;
    std::string compressed;
    const std::string* body = &request.body;
    const bool has_body = !request.body.empty();
    if (has_body && options_.compression && request.body.size() > kCompressThreshold) {
        compressed = detail::gzip_compress(request.body, 1);
        body = &compressed;
        append_header(headers, "Content-Encoding: gzip");
    }
    if (has_body) {
        append_header(headers, "Content-Type: " + (request.content_type.empty()
                                                       ? std::string("application/json")
                                                       : request.content_type));
    }
    append_header(headers, "Expect:");  // no 100-continue round trip
    if (options_.api_key) append_header(headers, "Authorization: ApiKey " + *options_.api_key);
    for (const auto& [name, value] : request.headers) append_header(headers, name + ": " + value);

    Response response;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer_.data());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    // Compressed answers cost CPU on both sides; ask for them only when compression is on.
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, options_.compression ? "gzip" : nullptr);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
    if (options_.ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file->c_str());
    if (!options_.api_key && options_.username) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        curl_easy_setopt(h, CURLOPT_USERNAME, options_.username->c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password ? options_.password->c_str() : "");
    }
    switch (request.method) {
        case Method::kGet:
            curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
            break;
        case Method::kHead:
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
            break;
        case Method::kPost:
        case Method::kPut:
        case Method::kDelete: {
            // method_name() views a string literal, so data() is NUL-terminated and static.
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_name(request.method).data());
            if (has_body || request.method != Method::kDelete) {
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data());
                curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                                 static_cast<curl_off_t>(body->size()));
            }
            break;
        }
    }
    const CURLcode code = curl_easy_perform(h);
    if (code != CURLE_OK) {
        const std::string detail =
            error_buffer_[0] != '\0' ? std::string(error_buffer_.data()) : curl_easy_strerror(code);
        const std::string message =
            redact(fmt::format("elasticsearch {} {}{}: {}", method_name(request.method), base_url_,
                               request.target.substr(0, request.target.find('?')), detail));
        if (is_permanent(code)) throw Error(message);
        throw TransientError(message);
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    return response;
}

}  // namespace kt::es
