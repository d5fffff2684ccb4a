#include "lib/es/response_error.hpp"

#include <utility>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace kt::es {

namespace {
constexpr std::size_t kMaxBodyInMessage = 300;
}  // namespace

ErrorInfo parse_error_body(std::string_view body) {
    ErrorInfo info;
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (!json.is_object()) return info;
    const auto error = json.find("error");
    if (error == json.end()) return info;
    if (error->is_string()) {
        info.reason = error->get<std::string>();
    } else if (error->is_object()) {
        if (const auto t = error->find("type"); t != error->end() && t->is_string()) {
            info.type = t->get<std::string>();
        }
        if (const auto r = error->find("reason"); r != error->end() && r->is_string()) {
            info.reason = r->get<std::string>();
        }
    }
    return info;
}

EsError response_error(const Transport& transport, const Request& request,
                       const Response& response) {
    ErrorInfo info = parse_error_body(response.body);
    std::string detail;
    if (!info.type.empty() || !info.reason.empty()) {
        detail = info.type.empty() ? info.reason : fmt::format("{}: {}", info.type, info.reason);
    } else if (!response.body.empty()) {
        detail = response.body.substr(0, kMaxBodyInMessage);
    } else if (response.status == 401) {
        // HEAD answers carry no body; say what a 401 means instead of leaving it bare.
        detail = "(no body): credentials missing or refused (check elasticsearch.username and "
                 "password, or api_key)";
    } else if (response.status == 403) {
        detail = "(no body): the credentials lack a privilege this request needs";
    } else {
        detail = "(empty body)";
    }
    std::string target = request.target.substr(0, request.target.find('?'));
    std::string message =
        transport.redact(fmt::format("elasticsearch {} {}: HTTP {} {}", method_name(request.method),
                                     target, response.status, detail));
    return EsError(message, response.status, std::move(info.type));
}

Request json_request(Method method, std::string target, std::string body) {
    Request request;
    request.method = method;
    request.target = std::move(target);
    request.body = std::move(body);
    if (!request.body.empty()) request.content_type = "application/json";
    return request;
}

Response perform_checked(Transport& transport, const Request& request) {
    Response response = transport.perform(request);
    if (response.status < 200 || response.status >= 300) {
        throw response_error(transport, request, response);
    }
    return response;
}

}  // namespace kt::es
