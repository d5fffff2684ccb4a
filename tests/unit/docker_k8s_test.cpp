// docker/k8s/: every manifest parsed and its operational fields checked; the ConfigMap's
// kt.yaml, with the mapping files and the environment the Deployments give it, passes
// `kt check --offline`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <regex>

#include "tests/unit/docker_test_support.hpp"

namespace kt::test::docker {
namespace {

using ::testing::HasSubstr;

const std::set<std::string> kWorkers{"indexer", "delayer", "cascader"};
constexpr int kShutdownSeconds = 10;  // SPEC: exit 0 within 10 s of SIGTERM

/// Every document of every .yaml file under docker/k8s, with its file name.
struct Manifest {
    std::string file;
    YAML::Node doc;
};

std::vector<Manifest> manifests() {
    std::vector<Manifest> out;
    for (const auto& entry : fs::directory_iterator(source_path("docker/k8s"))) {
        if (entry.path().extension() != ".yaml") continue;
        for (const auto& doc : YAML::LoadAllFromFile(entry.path().string())) {
            if (doc.IsNull()) continue;
            out.push_back({entry.path().filename().string(), doc});
        }
    }
    return out;
}

/// The manifest of `kind` named `name`; a null node when absent.
YAML::Node find(const std::vector<Manifest>& all, const std::string& kind,
                const std::string& name) {
    for (const auto& m : all) {
        if (m.doc["kind"].as<std::string>("") == kind &&
            m.doc["metadata"]["name"].as<std::string>("") == name) {
            return m.doc;
        }
    }
    return YAML::Node();
}

std::vector<std::string> strings(const YAML::Node& seq) {
    std::vector<std::string> out;
    for (const auto& s : seq) out.push_back(s.as<std::string>());
    return out;
}

/// The container's environment with each secretKeyRef replaced by the Secret's value.
std::map<std::string, std::string> container_env(const std::vector<Manifest>& all,
                                                 const YAML::Node& container) {
    std::map<std::string, std::string> out;
    for (const auto& e : container["env"]) {
        const std::string name = e["name"].as<std::string>();
        if (e["value"]) {
            out[name] = e["value"].as<std::string>();
            continue;
        }
        const auto ref = e["valueFrom"]["secretKeyRef"];
        if (!ref) {
            ADD_FAILURE() << name << ": neither value nor valueFrom.secretKeyRef";
            continue;
        }
        const std::string secret = ref["name"].as<std::string>();
        const std::string key = ref["key"].as<std::string>();
        const auto s = find(all, "Secret", secret);
        if (!s) {
            ADD_FAILURE() << name << " refers to Secret " << secret
                          << ", which no manifest defines";
            continue;
        }
        const auto value = s["stringData"][key];
        if (!value) {
            ADD_FAILURE() << name << " refers to key " << key << " that Secret " << secret
                          << " lacks";
            continue;
        }
        out[name] = value.as<std::string>();
    }
    return out;
}

/// Writes the pod's projected config volume into a fresh folder, as the kubelet would; returns
/// the folder.
fs::path materialize_config_volume(const std::vector<Manifest>& all, const YAML::Node& pod_spec,
                                   const std::string& tag) {
    fs::path dir = fs::temp_directory_path() / ("kt_k8s_" + tag + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    for (const auto& volume : pod_spec["volumes"]) {
        for (const auto& source : volume["projected"]["sources"]) {
            const std::string name = source["configMap"]["name"].as<std::string>();
            const auto cm = find(all, "ConfigMap", name);
            if (!cm) {
                ADD_FAILURE() << "ConfigMap " << name << " is not defined";
                continue;
            }
            for (const auto& item : source["configMap"]["items"]) {
                const std::string key = item["key"].as<std::string>();
                if (!cm["data"][key]) {
                    ADD_FAILURE() << "ConfigMap " << name << " has no key " << key;
                    continue;
                }
                const fs::path file = dir / item["path"].as<std::string>();
                fs::create_directories(file.parent_path());
                std::ofstream(file) << cm["data"][key].as<std::string>();
            }
        }
    }
    return dir;
}

/// Seconds of a preStop `sleep N`, nullopt when the hook is not one.
std::optional<int> pre_stop_sleep(const YAML::Node& container) {
    const auto command = strings(container["lifecycle"]["preStop"]["exec"]["command"]);
    if (command.size() != 2 || command[0] != "sleep") return std::nullopt;
    return std::stoi(command[1]);
}

TEST(DockerK8s, EveryManifestIsKnownAndListed) {
    const auto all = manifests();
    std::set<std::string> kinds;
    for (const auto& m : all) {
        EXPECT_TRUE(m.doc["apiVersion"]) << m.file;
        const std::string kind = m.doc["kind"].as<std::string>();
        if (kind != "Kustomization") {
            EXPECT_TRUE(m.doc["metadata"]["name"]) << m.file;
        }
        kinds.insert(kind);
    }
    EXPECT_EQ(kinds, (std::set<std::string>{"ConfigMap", "Deployment", "Job", "Kustomization",
                                            "PodDisruptionBudget", "Secret"}));
    // kustomization.yaml lists every file but the Job, which runs on demand.
    const auto k = YAML::LoadFile(source_path("docker/k8s/kustomization.yaml").string());
    std::set<std::string> listed;
    for (const auto& r : strings(k["resources"])) {
        EXPECT_TRUE(fs::exists(source_path("docker/k8s/" + r))) << r;
        listed.insert(r);
    }
    for (const auto& m : all) {
        if (m.file != "kustomization.yaml" && m.file != "reindex-job.yaml") {
            EXPECT_TRUE(listed.contains(m.file)) << m.file << " is not in kustomization.yaml";
        }
    }
}

TEST(DockerK8s, EachWorkerIsADeploymentReadyForOperations) {
    const auto all = manifests();
    for (const auto& w : kWorkers) {
        SCOPED_TRACE(w);
        const auto d = find(all, "Deployment", "kt-" + w);
        ASSERT_TRUE(d) << "no Deployment kt-" << w;
        EXPECT_GE(d["spec"]["replicas"].as<int>(), 1);
        const auto tmpl = d["spec"]["template"];
        // The selector selects the pods.
        for (const auto& kv : d["spec"]["selector"]["matchLabels"]) {
            EXPECT_EQ(tmpl["metadata"]["labels"][kv.first.as<std::string>()].as<std::string>(""),
                      kv.second.as<std::string>());
        }
        const auto spec = tmpl["spec"];
        EXPECT_TRUE(spec["securityContext"]["runAsNonRoot"].as<bool>(false));
        ASSERT_EQ(spec["containers"].size(), 1U);
        const auto c = spec["containers"][0];
        const auto args = strings(c["args"]);
        ASSERT_GE(args.size(), 3U);
        EXPECT_EQ(args[0], w) << "the image's entrypoint takes the worker name first";

        // Metrics port: the argument, the container port, the probes and the scrape annotation.
        int port = 0;
        for (const auto& p : c["ports"]) {
            if (p["name"].as<std::string>("") == "metrics") port = p["containerPort"].as<int>();
        }
        ASSERT_GT(port, 0) << "no container port named metrics";
        const auto flag = std::find(args.begin(), args.end(), "--metrics-port");
        ASSERT_NE(flag, args.end());
        EXPECT_EQ(std::stoi(*(flag + 1)), port);
        const auto annotations = tmpl["metadata"]["annotations"];
        EXPECT_EQ(annotations["prometheus.io/scrape"].as<std::string>(""), "true");
        EXPECT_EQ(annotations["prometheus.io/port"].as<std::string>(""), std::to_string(port));
        EXPECT_EQ(annotations["prometheus.io/path"].as<std::string>(""), "/metrics");
        EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"].as<std::string>(""), "/healthz");
        EXPECT_EQ(c["livenessProbe"]["httpGet"]["port"].as<std::string>(""), "metrics");
        EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].as<std::string>(""), "/readyz");
        EXPECT_EQ(c["readinessProbe"]["httpGet"]["port"].as<std::string>(""), "metrics");

        for (const char* kind : {"requests", "limits"}) {
            for (const char* resource : {"cpu", "memory"}) {
                EXPECT_TRUE(c["resources"][kind][resource]) << kind << "." << resource;
            }
        }
        // SIGTERM comes after preStop; kt needs up to 10 s more before the kubelet's SIGKILL.
        const auto sleep = pre_stop_sleep(c);
        ASSERT_TRUE(sleep) << "preStop is not an exec of sleep N";
        EXPECT_GT(spec["terminationGracePeriodSeconds"].as<int>(0), *sleep + kShutdownSeconds);

        // The config volume is mounted where --config points.
        const auto config = std::find(args.begin(), args.end(), "--config");
        ASSERT_NE(config, args.end());
        ASSERT_EQ(c["volumeMounts"].size(), 1U);
        EXPECT_EQ(fs::path(*(config + 1)).parent_path().string(),
                  c["volumeMounts"][0]["mountPath"].as<std::string>());
    }
}

TEST(DockerK8s, IndexerDeploymentSaysReplicasBeyondThePartitionsSitIdle) {
    const std::string text = read_text(source_path("docker/k8s/indexer.yaml"));
    EXPECT_THAT(text, HasSubstr("replicas beyond"));
    EXPECT_THAT(text, HasSubstr("sit idle"));
    EXPECT_THAT(read_text(source_path("docs/operations.md")), HasSubstr("sit idle"));
}

TEST(DockerK8s, EveryDeploymentHasADisruptionBudget) {
    const auto all = manifests();
    for (const auto& w : kWorkers) {
        const auto d = find(all, "Deployment", "kt-" + w);
        ASSERT_TRUE(d);
        int budgets = 0;
        for (const auto& m : all) {
            if (m.doc["kind"].as<std::string>() != "PodDisruptionBudget") continue;
            EXPECT_EQ(m.doc["apiVersion"].as<std::string>(), "policy/v1");
            bool selects = true;
            for (const auto& kv : m.doc["spec"]["selector"]["matchLabels"]) {
                selects &= d["spec"]["template"]["metadata"]["labels"][kv.first.as<std::string>()]
                               .as<std::string>("") == kv.second.as<std::string>();
            }
            if (!selects) continue;
            ++budgets;
            // One pod at a time may go, and a single replica can still be drained.
            EXPECT_EQ(m.doc["spec"]["maxUnavailable"].as<int>(0), 1) << w;
        }
        EXPECT_EQ(budgets, 1) << "PodDisruptionBudgets selecting kt-" << w;
    }
}

TEST(DockerK8s, ReindexJobRunsKtReindexOnceForAnIndexOfTheConfig) {
    const auto all = manifests();
    const YAML::Node* job = nullptr;
    for (const auto& m : all) {
        if (m.doc["kind"].as<std::string>() == "Job") job = &m.doc;
    }
    ASSERT_NE(job, nullptr);
    const auto spec = (*job)["spec"]["template"]["spec"];
    EXPECT_EQ(spec["restartPolicy"].as<std::string>(), "Never");
    EXPECT_EQ((*job)["spec"]["backoffLimit"].as<int>(-1), 0);
    const auto args = strings(spec["containers"][0]["args"]);
    ASSERT_GE(args.size(), 2U);
    EXPECT_EQ(args[0], "reindex");

    const auto env = container_env(all, spec["containers"][0]);
    const fs::path dir = materialize_config_volume(all, spec, "job");
    const auto loaded = load_config(dir / "kt.yaml", env);
    ASSERT_TRUE(loaded.config) << loaded.error;
    EXPECT_NE(loaded.config->find_index(args[1]), nullptr) << args[1] << " is no index of kt.yaml";
    fs::remove_all(dir);
}

TEST(DockerK8s, ConfigMapPassesKtCheckWithTheEnvironmentOfEveryPod) {
    const auto all = manifests();
    std::vector<YAML::Node> pods;
    for (const auto& m : all) {
        const std::string kind = m.doc["kind"].as<std::string>();
        if (kind == "Deployment" || kind == "Job")
            pods.push_back(m.doc["spec"]["template"]["spec"]);
    }
    ASSERT_EQ(pods.size(), 5U);  // indexer, delayer, cascader, capture, the reindex Job
    int n = 0;
    for (const auto& spec : pods) {
        const auto env = container_env(all, spec["containers"][0]);
        const fs::path dir = materialize_config_volume(all, spec, std::to_string(n++));
        const auto loaded = load_config(dir / "kt.yaml", env);
        EXPECT_TRUE(loaded.config) << loaded.error;
        for (const auto& v : loaded.variables) {
            EXPECT_TRUE(env.contains(v)) << "kt.yaml uses ${" << v << "}, which the pod lacks";
        }
        const auto check = kt_check_offline(dir / "kt.yaml", env);
        EXPECT_EQ(check.exit_code, 0) << check.output;
        EXPECT_THAT(check.output, HasSubstr(": ok"));
        // Credentials come from the Secret, never from the manifests' plain values.
        for (const auto& e : spec["containers"][0]["env"]) {
            const std::string name = e["name"].as<std::string>();
            if (name.find("PASSWORD") != std::string::npos || name == "KT_POSTGRES_URL") {
                EXPECT_TRUE(e["valueFrom"] && e["valueFrom"]["secretKeyRef"])
                    << name << " is not from the Secret";
            }
        }
        fs::remove_all(dir);
    }
}

TEST(DockerK8s, MappingsConfigMapHoldsTheRepositoryMappings) {
    const auto all = manifests();
    const auto cm = find(all, "ConfigMap", "kt-mappings");
    ASSERT_TRUE(cm);
    std::set<std::string> keys;
    for (const auto& kv : cm["data"]) {
        const std::string key = kv.first.as<std::string>();
        keys.insert(key);
        EXPECT_EQ(kv.second.as<std::string>(), read_text(source_path("config/mappings/" + key)))
            << key << " differs from config/mappings/" << key;
    }
    std::set<std::string> files;
    for (const auto& e : fs::directory_iterator(source_path("config/mappings"))) {
        files.insert(e.path().filename().string());
    }
    EXPECT_EQ(keys, files);
}

}  // namespace
}  // namespace kt::test::docker
