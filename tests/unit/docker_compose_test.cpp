// docker/compose.yaml, checked without a Docker engine: services, images, ports, volumes,
// start order, and that the config the workers mount passes `kt check --offline` with exactly
// the environment compose gives them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <functional>
#include <regex>

#include "tests/unit/docker_test_support.hpp"

namespace kt::test::docker {
namespace {

using ::testing::HasSubstr;

const fs::path kComposeDir = source_path("docker");
const std::set<std::string> kWorkers{"indexer", "delayer", "cascader"};

YAML::Node compose() {
    return YAML::LoadFile(source_path("docker/compose.yaml").string());
}

std::set<std::string> service_names(const YAML::Node& c) {
    std::set<std::string> out;
    for (const auto& s : c["services"]) out.insert(s.first.as<std::string>());
    return out;
}

/// A service's list or string field as words (command, entrypoint, healthcheck test).
std::vector<std::string> word_list(const YAML::Node& node) {
    std::vector<std::string> out;
    if (!node) return out;
    if (node.IsSequence()) {
        for (const auto& w : node) out.push_back(w.as<std::string>());
    } else {
        out = words(node.as<std::string>());
    }
    return out;
}

/// The environment compose gives a service (`$$` written for a literal `$`).
std::map<std::string, std::string> environment(const YAML::Node& service) {
    std::map<std::string, std::string> out;
    const auto env = service["environment"];
    if (!env) return out;
    EXPECT_TRUE(env.IsMap()) << "write environment as a map";
    for (const auto& kv : env) {
        std::string value = kv.second.as<std::string>();
        for (auto pos = value.find("$$"); pos != std::string::npos;
             pos = value.find("$$", pos + 1)) {
            value.erase(pos, 1);
        }
        out[kv.first.as<std::string>()] = value;
    }
    return out;
}

/// Bind mounts of a service: container path -> host path (resolved against docker/).
std::map<std::string, fs::path> bind_mounts(const YAML::Node& service) {
    std::map<std::string, fs::path> out;
    for (const auto& v : service["volumes"]) {
        const std::string spec = v.as<std::string>();
        const auto colon = spec.find(':');
        const std::string host = spec.substr(0, colon);
        if (!host.starts_with(".") && !host.starts_with("/")) continue;  // a named volume
        const std::string rest = spec.substr(colon + 1);
        out[rest.substr(0, rest.find(':'))] = (kComposeDir / host).lexically_normal();
    }
    return out;
}

/// The host file behind container path `path`, through the service's bind mounts.
std::optional<fs::path> host_path(const YAML::Node& service, const std::string& path) {
    for (const auto& [target, host] : bind_mounts(service)) {
        if (path == target) return host;
        if (path.starts_with(target + "/")) return host / path.substr(target.size() + 1);
    }
    return std::nullopt;
}

/// Services that run the kt image (built from docker/Dockerfile).
std::set<std::string> kt_services(const YAML::Node& c) {
    std::set<std::string> out;
    for (const auto& s : c["services"]) {
        if (s.second["build"]) out.insert(s.first.as<std::string>());
    }
    return out;
}

/// Every `--config PATH` a service passes to kt: in its command, or in its shell script.
std::vector<std::string> config_arguments(const YAML::Node& service) {
    std::vector<std::string> out;
    const auto w = word_list(service["command"]);
    for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        if (w[i] == "--config") out.push_back(w[i + 1]);
    }
    return out;
}

TEST(DockerCompose, RunsTheDatabasesKafkaElasticsearchTheWorkersAndASeeder) {
    const auto c = compose();
    const auto names = service_names(c);
    for (const char* s : {"postgres", "kafka", "kafka-init", "elasticsearch", "indexer", "delayer",
                          "cascader", "seed"}) {
        EXPECT_TRUE(names.contains(s)) << "no service " << s;
    }
    EXPECT_THAT(c["services"]["postgres"]["image"].as<std::string>(),
                ::testing::StartsWith("postgres:15"));
    EXPECT_THAT(c["services"]["kafka"]["image"].as<std::string>(),
                ::testing::StartsWith("apache/kafka:"));
    EXPECT_THAT(c["services"]["elasticsearch"]["image"].as<std::string>(),
                ::testing::StartsWith("docker.elastic.co/elasticsearch/elasticsearch:8."));
    // Kafka in KRaft mode: one node as broker and controller, no ZooKeeper.
    const auto kafka = environment(c["services"]["kafka"]);
    EXPECT_EQ(kafka.at("KAFKA_PROCESS_ROLES"), "broker,controller");
    EXPECT_FALSE(kafka.contains("KAFKA_ZOOKEEPER_CONNECT"));
    EXPECT_THAT(kafka.at("KAFKA_CONTROLLER_QUORUM_VOTERS"),
                HasSubstr(kafka.at("KAFKA_NODE_ID") + "@kafka:"));
    const auto es = environment(c["services"]["elasticsearch"]);
    EXPECT_EQ(es.at("discovery.type"), "single-node");
    EXPECT_EQ(es.at("xpack.security.enabled"), "false");
}

TEST(DockerCompose, ImagesArePinnedOrBuiltFromTheDockerfile) {
    const auto c = compose();
    for (const auto& s : c["services"]) {
        const std::string name = s.first.as<std::string>();
        ASSERT_TRUE(s.second["image"]) << name << " has no image";
        const std::string image = s.second["image"].as<std::string>();
        const auto tag = image.rfind(':');
        ASSERT_NE(tag, std::string::npos) << name << ": " << image << " has no tag";
        EXPECT_NE(image.substr(tag + 1), "latest") << name;
        if (const auto build = s.second["build"]) {
            EXPECT_TRUE(fs::is_directory(kComposeDir / build["context"].as<std::string>())) << name;
            EXPECT_EQ((kComposeDir / build["context"].as<std::string>() /
                       build["dockerfile"].as<std::string>())
                          .lexically_normal(),
                      source_path("docker/Dockerfile").lexically_normal())
                << name;
        }
    }
    EXPECT_EQ(kt_services(c), (std::set<std::string>{"indexer", "delayer", "cascader", "seed"}));
}

TEST(DockerCompose, HostPortsAreUnique) {
    const auto c = compose();
    std::map<int, std::string> taken;
    for (const auto& s : c["services"]) {
        for (const auto& p : s.second["ports"]) {
            const std::string spec = p.as<std::string>();
            std::smatch m;
            ASSERT_TRUE(std::regex_match(spec, m, std::regex(R"((\d+):(\d+))")))
                << s.first << ": write ports as \"HOST:CONTAINER\", not " << spec;
            const int host = std::stoi(m[1]);
            const auto [it, fresh] = taken.emplace(host, s.first.as<std::string>());
            EXPECT_TRUE(fresh) << "host port " << host << " of " << s.first << " is taken by "
                               << it->second;
        }
    }
    EXPECT_GE(taken.size(), 6U);
}

TEST(DockerCompose, VolumesAreRepositoryFilesOrDeclaredVolumes) {
    const auto c = compose();
    std::set<std::string> declared;
    for (const auto& v : c["volumes"]) declared.insert(v.first.as<std::string>());
    std::set<std::string> used;
    for (const auto& s : c["services"]) {
        for (const auto& v : s.second["volumes"]) {
            const std::string spec = v.as<std::string>();
            const std::string host = spec.substr(0, spec.find(':'));
            if (host.starts_with(".") || host.starts_with("/")) {
                const fs::path path = (kComposeDir / host).lexically_normal();
                EXPECT_TRUE(fs::exists(path))
                    << s.first << " mounts " << host << ", not in the repository";
                EXPECT_TRUE(path.string().starts_with(std::string(KT_SOURCE_DIR)))
                    << s.first << " mounts " << host << " from outside the repository";
            } else {
                EXPECT_TRUE(declared.contains(host))
                    << s.first << " uses undeclared volume " << host;
                used.insert(host);
            }
        }
    }
    EXPECT_EQ(used, declared) << "declared volumes no service uses";
}

TEST(DockerCompose, StartOrderCanBeMet) {
    const auto c = compose();
    const auto names = service_names(c);
    std::map<std::string, std::vector<std::string>> edges;
    for (const auto& s : c["services"]) {
        const std::string name = s.first.as<std::string>();
        for (const auto& d : s.second["depends_on"]) {
            const std::string target = d.first.as<std::string>();
            ASSERT_TRUE(names.contains(target)) << name << " depends on unknown service " << target;
            edges[name].push_back(target);
            const std::string condition = d.second["condition"].as<std::string>();
            const auto& t = c["services"][target];
            if (condition == "service_healthy") {
                EXPECT_TRUE(t["healthcheck"]) << name << " waits for " << target
                                              << " to be healthy, but it has no healthcheck";
            } else if (condition == "service_completed_successfully") {
                EXPECT_TRUE(t["restart"] && t["restart"].as<std::string>() == "no")
                    << name << " waits for " << target << " to finish, but it restarts";
            } else {
                EXPECT_EQ(condition, "service_started") << name << " -> " << target;
            }
        }
    }
    // No cycle: a depth-first walk never meets a service still on its path.
    std::map<std::string, int> state;  // 1 on the path, 2 done
    std::function<void(const std::string&, std::string)> walk = [&](const std::string& n,
                                                                    std::string path) {
        path += (path.empty() ? "" : " -> ") + n;
        if (state[n] == 1) {
            ADD_FAILURE() << "depends_on cycle: " << path;
            return;
        }
        if (state[n] == 2) return;
        state[n] = 1;
        for (const auto& next : edges[n]) walk(next, path);
        state[n] = 2;
    };
    for (const auto& n : names) walk(n, "");
    // What the workers need before they start.
    const auto needs = [&](const std::string& s, const std::string& target,
                           const std::string& cond) {
        const auto d = c["services"][s]["depends_on"][target];
        EXPECT_TRUE(d && d["condition"].as<std::string>() == cond) << s << " -> " << target;
    };
    for (const auto& w : kWorkers) needs(w, "kafka-init", "service_completed_successfully");
    needs("indexer", "postgres", "service_healthy");
    needs("indexer", "elasticsearch", "service_healthy");
    needs("cascader", "postgres", "service_healthy");
    needs("kafka-init", "kafka", "service_healthy");
}

TEST(DockerCompose, UsesNoComposeLevelVariables) {
    // Every `$` is written `$$`: nothing in the file depends on the shell that runs compose.
    std::istringstream in(read_text(source_path("docker/compose.yaml")));
    int number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        if (trim(line).starts_with("#")) continue;  // comments are not interpolated
        for (auto pos = line.find('$'); pos != std::string::npos; pos = line.find('$', pos + 2)) {
            EXPECT_TRUE(pos + 1 < line.size() && line[pos + 1] == '$')
                << "compose would interpolate line " << number << ": " << line;
        }
    }
}

TEST(DockerCompose, EveryKtServiceRunsAConfigThatPassesKtCheck) {
    const auto c = compose();
    for (const auto& name : kt_services(c)) {
        SCOPED_TRACE(name);
        const auto& service = c["services"][name];
        const auto env = environment(service);
        auto configs = config_arguments(service);
        if (configs.empty()) {
            // A shell script: every `--config PATH` in it.
            const std::string script = word_list(service["command"]).empty()
                                           ? ""
                                           : service["command"][0].as<std::string>();
            const std::regex re(R"(--config\s+(\S+))");
            for (auto it = std::sregex_iterator(script.begin(), script.end(), re);
                 it != std::sregex_iterator(); ++it) {
                configs.push_back((*it)[1]);
            }
        }
        ASSERT_FALSE(configs.empty()) << "passes no --config";
        for (const auto& path : std::set<std::string>(configs.begin(), configs.end())) {
            const auto host = host_path(service, path);
            ASSERT_TRUE(host) << path << " is not in a bind mount";
            ASSERT_TRUE(fs::exists(*host)) << *host;
            const auto loaded = load_config(*host, env);
            EXPECT_TRUE(loaded.config) << loaded.error;
            for (const auto& v : loaded.variables) {
                EXPECT_TRUE(env.contains(v)) << path << " uses ${" << v << "}, which " << name
                                             << "'s environment does not set";
            }
            const auto check = kt_check_offline(*host, env);
            EXPECT_EQ(check.exit_code, 0) << check.output;
            EXPECT_THAT(check.output, HasSubstr(": ok"));
        }
    }
}

TEST(DockerCompose, ConnectionSettingsNameTheServices) {
    const auto c = compose();
    const auto env = environment(c["services"]["indexer"]);
    const auto pg = environment(c["services"]["postgres"]);
    EXPECT_EQ(env.at("KT_POSTGRES_URL"),
              fmt::format("postgresql://{}:{}@postgres:5432/{}", pg.at("POSTGRES_USER"),
                          pg.at("POSTGRES_PASSWORD"), pg.at("POSTGRES_DB")));
    EXPECT_THAT(environment(c["services"]["kafka"]).at("KAFKA_ADVERTISED_LISTENERS"),
                HasSubstr("PLAINTEXT://" + env.at("KT_KAFKA_BROKERS")));
    EXPECT_EQ(env.at("KT_ELASTICSEARCH_URL"), "http://elasticsearch:9200");
    // Every kt service sees the same settings.
    for (const auto& name : kt_services(c)) {
        EXPECT_EQ(environment(c["services"][name]), env) << name;
    }
}

TEST(DockerCompose, EveryTopicOfTheConfigIsCreatedBeforeTheWorkersStart) {
    const auto c = compose();
    const auto& indexer = c["services"]["indexer"];
    const auto loaded = load_config(*host_path(indexer, "/etc/kt/kt.yaml"), environment(indexer));
    ASSERT_TRUE(loaded.config) << loaded.error;
    const std::string script = c["services"]["kafka-init"]["command"][0].as<std::string>();
    const auto loop = script.find("for topic in ");
    ASSERT_NE(loop, std::string::npos) << script;
    std::set<std::string> created;
    for (const auto& w : words(script.substr(loop + 13, script.find("; do") - loop - 13))) {
        if (w != "\\") created.insert(w);
    }
    EXPECT_THAT(script, HasSubstr("--create --if-not-exists"));
    for (const auto& topic : topics_of(*loaded.config)) {
        EXPECT_TRUE(created.contains(topic)) << "kafka-init does not create topic " << topic;
    }
    // The seeder sends only to created topics.
    const std::string seed = c["services"]["seed"]["command"][0].as<std::string>();
    const std::regex produce(R"(kt produce --config \S+ (--delay )?(\S+))");
    int sends = 0;
    for (auto it = std::sregex_iterator(seed.begin(), seed.end(), produce);
         it != std::sregex_iterator(); ++it, ++sends) {
        EXPECT_TRUE(created.contains((*it)[2])) << "the seeder sends to " << (*it)[2];
        if ((*it)[1].matched) {
            EXPECT_NE(loaded.config->first_delay_stage((*it)[2]), nullptr)
                << "no delay stage for " << (*it)[2];
        }
    }
    EXPECT_GE(sends, 3);
}

TEST(DockerCompose, WorkersRunByNameAndAreHealthCheckedOnReadyz) {
    const auto c = compose();
    for (const auto& w : kWorkers) {
        SCOPED_TRACE(w);
        const auto& s = c["services"][w];
        const auto command = word_list(s["command"]);
        ASSERT_FALSE(command.empty());
        EXPECT_EQ(command[0], w) << "the entrypoint takes the worker name first";
        EXPECT_FALSE(s["entrypoint"]);
        EXPECT_EQ(word_list(s["healthcheck"]["test"]),
                  (std::vector<std::string>{"CMD", "kt-entrypoint", "probe", "/readyz"}));
        bool metrics = false;
        for (const auto& p : s["ports"]) metrics |= p.as<std::string>().ends_with(":9464");
        EXPECT_TRUE(metrics) << "the metrics port 9464 is not published";
        // kt exits within 10 s of SIGTERM; compose must not SIGKILL it before.
        std::smatch m;
        const std::string grace = s["stop_grace_period"].as<std::string>("10s");
        ASSERT_TRUE(std::regex_match(grace, m, std::regex(R"((\d+)s)"))) << grace;
        EXPECT_GT(std::stoi(m[1]), 10);
    }
}

TEST(DockerCompose, TheSeedSchemaHoldsTheTablesOfTheConfig) {
    const auto c = compose();
    const auto mounts = bind_mounts(c["services"]["postgres"]);
    std::string schema;
    for (const auto& [target, host] : mounts) {
        if (target.starts_with("/docker-entrypoint-initdb.d/")) schema += read_text(host);
    }
    ASSERT_FALSE(schema.empty()) << "postgres mounts no initdb script";
    for (const char* table : {"brands", "products", "organizations", "customers", "orders"}) {
        EXPECT_THAT(schema, HasSubstr(std::string("CREATE TABLE ") + table + " ("));
    }
}

}  // namespace
}  // namespace kt::test::docker
