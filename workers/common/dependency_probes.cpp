#include "workers/common/dependency_probes.hpp"

#include <memory>

#include "lib/app/options_from_config.hpp"
#include "lib/config/redact.hpp"
#include "lib/error.hpp"
#include "lib/es/curl_transport.hpp"
#include "lib/es/index_admin.hpp"
#include "lib/es/options.hpp"
#include "lib/kafka/admin.hpp"
#include "lib/kafka/options.hpp"
#include "lib/pg/pinger.hpp"

namespace kt::workers {

namespace {

/// Runs `fn`, rethrowing any failure as kt::Error with secrets redacted.
template <typename Fn>
void redacted(Fn&& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        throw kt::Error(config::redact(e.what()), true);
    }
}

}  // namespace

std::vector<http::Probe> dependency_probes(const config::Config& config, const Dependencies& needs,
                                           std::chrono::seconds timeout) {
    std::vector<http::Probe> probes;
    if (!needs.kafka_topic.empty()) {
        auto admin = std::make_shared<std::unique_ptr<kafka::Admin>>();
        probes.push_back({"kafka", [admin, options = app::kafka_options(config.kafka),
                                    topic = needs.kafka_topic, timeout] {
                              redacted([&] {
                                  if (!*admin) *admin = std::make_unique<kafka::Admin>(options);
                                  (void)(*admin)->describe_topic(topic, timeout);
                              });
                          }});
    }
    if (needs.postgres) {
        auto pinger = std::make_shared<pg::Pinger>(config.postgres.url, timeout);
        probes.push_back({"postgres", [pinger] { redacted([&] { pinger->ping(); }); }});
    }
    if (needs.elasticsearch) {
        es::Options options =
            app::es_options(config.elasticsearch);
        options.timeout = std::min<std::chrono::milliseconds>(options.timeout, timeout);
        auto admin = std::make_shared<es::IndexAdmin>(std::make_unique<es::CurlTransport>(options));
        probes.push_back({"elasticsearch", [admin] { redacted([&] { (void)admin->root(); }); }});
    }
    return probes;
}

}  // namespace kt::workers
