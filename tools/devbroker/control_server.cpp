#include "tools/devbroker/control_server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/error.hpp"
#include "lib/log/log.hpp"
#include "tools/devbroker/detail/protocol_names.hpp"

namespace kt::devbroker {

namespace {

using nlohmann::json;

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

void fail(httplib::Response& res, int status, const std::string& message) {
    reply(res, status, json{{"error", message}});
}

/// Status for a mock call's result: 200, 404 for an unknown broker, 400 otherwise.
int status_of(rd_kafka_resp_err_t err) {
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return 200;
    if (err == RD_KAFKA_RESP_ERR__UNKNOWN_BROKER || err == RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE) {
        return 404;
    }
    return 400;
}

std::string text_of(const json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

std::optional<rd_kafka_resp_err_t> error_of(const json& value) {
    return error_from_name(text_of(value));
}

std::int32_t broker_of(const httplib::Request& req) {
    return static_cast<std::int32_t>(std::stol(req.matches[1].str()));
}

/// A request the client got wrong: answered 400.
struct BadRequest : std::runtime_error {
    using std::runtime_error::runtime_error;
};

json parse_body(const httplib::Request& req) {
    json body = json::parse(req.body.empty() ? std::string("{}") : req.body);
    if (!body.is_object()) throw BadRequest("body must be a JSON object");
    return body;
}

}  // namespace

ControlServer::ControlServer(MockCluster& cluster, int port)
    : cluster_(cluster), server_(std::make_unique<httplib::Server>()) {
    add_routes();
    if (port == 0) {
        port_ = server_->bind_to_any_port("127.0.0.1");
        if (port_ <= 0) throw Error("control endpoint: cannot bind 127.0.0.1 to a free port");
    } else {
        if (!server_->bind_to_port("127.0.0.1", port)) {
            throw Error(fmt::format("control endpoint: cannot bind 127.0.0.1:{}", port));
        }
        port_ = port;
    }
    listener_ = std::thread([this] { server_->listen_after_bind(); });
}

ControlServer::~ControlServer() {
    stop();
}

void ControlServer::stop() {
    server_->stop();
    if (listener_.joinable()) listener_.join();
}

void ControlServer::add_routes() {
    auto& s = *server_;
    s.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
            try {
                std::rethrow_exception(ep);
            } catch (const json::exception& e) {
                fail(res, 400, fmt::format("bad JSON: {}", e.what()));
            } catch (const BadRequest& e) {
                fail(res, 400, e.what());
            } catch (const std::exception& e) {
                fail(res, 500, e.what());
            } catch (...) {
                fail(res, 500, "unknown error");
            }
        });

    s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
        reply(res, 200,
              json{{"status", "ok"},
                   {"brokers", cluster_.broker_count()},
                   {"kind", "in-memory development broker (librdkafka mock cluster)"}});
    });

    s.Get("/bootstrap", [this](const httplib::Request&, httplib::Response& res) {
        reply(res, 200, json{{"bootstrap", cluster_.bootstrap()}});
    });

    s.Post("/topics", [this](const httplib::Request& req, httplib::Response& res) {
        const json body = parse_body(req);
        const std::string name = body.value("name", "");
        const int partitions = body.value("partitions", 1);
        if (name.empty()) return fail(res, 400, "'name' is required");
        if (partitions < 1) return fail(res, 400, "'partitions' must be at least 1");
        const auto err = cluster_.create_topic(name, partitions);
        if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            return fail(res, 409, fmt::format("topic '{}' already exists", name));
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(res, 400, rd_kafka_err2str(err));
        log::info("created topic {} with {} partitions", name, partitions);
        reply(res, 201, json{{"name", name}, {"partitions", partitions}});
    });

    s.Post(R"(/topics/([^/]+)/error)", [this](const httplib::Request& req, httplib::Response& res) {
        const json body = parse_body(req);
        const auto err = error_of(body.value("error", json("NO_ERROR")));
        if (!err) return fail(res, 400, "unknown error code in 'error'");
        cluster_.set_topic_error(req.matches[1].str(), *err);
        reply(res, 200, json{{"topic", req.matches[1].str()}, {"error", rd_kafka_err2name(*err)}});
    });

    s.Post(R"(/brokers/(\d+)/(down|up))",
           [this](const httplib::Request& req, httplib::Response& res) {
               const auto broker = broker_of(req);
               const bool down = req.matches[2].str() == "down";
               const auto err = down ? cluster_.broker_down(broker) : cluster_.broker_up(broker);
               if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
                   return fail(res, status_of(err), rd_kafka_err2str(err));
               log::info("broker {} is {}", broker, down ? "down" : "up");
               reply(res, 200, json{{"broker", broker}, {"state", down ? "down" : "up"}});
           });

    s.Post(R"(/brokers/(\d+)/rtt)", [this](const httplib::Request& req, httplib::Response& res) {
        const json body = parse_body(req);
        const int ms = body.value("ms", -1);
        if (ms < 0) return fail(res, 400, "'ms' must be a number >= 0");
        const auto broker = broker_of(req);
        const auto err = cluster_.broker_rtt(broker, ms);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
            return fail(res, status_of(err), rd_kafka_err2str(err));
        reply(res, 200, json{{"broker", broker}, {"rtt_ms", ms}});
    });

    // {"api": "Produce"|0, "errors": ["NOT_LEADER_FOR_PARTITION", 6 ...], "broker": 1}
    // or {"api": ..., "error": ..., "count": N}.
    s.Post("/errors", [this](const httplib::Request& req, httplib::Response& res) {
        const json body = parse_body(req);
        if (!body.contains("api")) return fail(res, 400, "'api' is required");
        const auto api = api_key_from_name(text_of(body["api"]));
        if (!api) return fail(res, 400, fmt::format("unknown api '{}'", text_of(body["api"])));
        std::vector<rd_kafka_resp_err_t> errors;
        if (body.contains("errors")) {
            if (!body["errors"].is_array()) return fail(res, 400, "'errors' must be an array");
            for (const auto& e : body["errors"]) {
                const auto err = error_of(e);
                if (!err) return fail(res, 400, fmt::format("unknown error '{}'", text_of(e)));
                errors.push_back(*err);
            }
        } else if (body.contains("error")) {
            const auto err = error_of(body["error"]);
            if (!err)
                return fail(res, 400, fmt::format("unknown error '{}'", text_of(body["error"])));
            const int count = body.value("count", 1);
            if (count < 1) return fail(res, 400, "'count' must be at least 1");
            errors.assign(static_cast<std::size_t>(count), *err);
        } else {
            return fail(res, 400, "'errors' or 'error' is required");
        }
        if (body.contains("broker")) {
            const auto broker = body["broker"].get<std::int32_t>();
            const auto err = cluster_.push_broker_errors(broker, *api, errors);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return fail(res, status_of(err), rd_kafka_err2str(err));
            }
        } else {
            cluster_.push_errors(*api, errors);
        }
        log::info("pushed {} errors for api key {}", errors.size(), *api);
        reply(res, 200, json{{"api", *api}, {"pushed", errors.size()}});
    });

    s.Post("/errors/clear", [this](const httplib::Request& req, httplib::Response& res) {
        const json body = parse_body(req);
        const auto api = api_key_from_name(text_of(body.value("api", json(""))));
        if (!api) return fail(res, 400, "'api' is required and must name a request type");
        cluster_.clear_errors(*api);
        reply(res, 200, json{{"api", *api}, {"cleared", true}});
    });
}

}  // namespace kt::devbroker
