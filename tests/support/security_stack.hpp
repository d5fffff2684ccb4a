#pragma once

#include <filesystem>
#include <optional>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/worker_process.hpp"

namespace kt::test {

/// A throw-away certificate authority, a server certificate it signed for 127.0.0.1 and
/// localhost, and a second CA that signed nothing here; made with the openssl command in a
/// fresh temp folder that goes away with the object.
class TestCertificates {
public:
    /// Generates the files; throws std::runtime_error with openssl's output when it fails.
    TestCertificates();
    ~TestCertificates();
    TestCertificates(const TestCertificates&) = delete;
    TestCertificates& operator=(const TestCertificates&) = delete;

    /// PEM certificate of the CA that signed the server certificate.
    [[nodiscard]] std::string ca_file() const { return (dir_ / "ca.pem").string(); }
    /// PEM certificate of an unrelated CA.
    [[nodiscard]] std::string other_ca_file() const { return (dir_ / "other-ca.pem").string(); }
    /// PEM server certificate and its key.
    [[nodiscard]] std::string server_cert() const { return (dir_ / "server.pem").string(); }
    [[nodiscard]] std::string server_key() const { return (dir_ / "server.key").string(); }
    /// The folder holding the files (tests may put their own files there too).
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

private:
    std::filesystem::path dir_;
};

/// A private kt-es-standin started with extra options (`--tls-cert`, `--basic-auth`, ...),
/// optionally on a given port; stopped with the object.
class OptionsStandin {
public:
    /// Starts it; throws std::runtime_error (with its log) when it does not become ready.
    explicit OptionsStandin(const std::vector<std::string>& args, int port = 0);
    ~OptionsStandin();
    OptionsStandin(const OptionsStandin&) = delete;
    OptionsStandin& operator=(const OptionsStandin&) = delete;

    /// Base URL from its ready file, e.g. https://127.0.0.1:PORT.
    [[nodiscard]] const std::string& url() const { return url_; }
    /// The port it listens on.
    [[nodiscard]] int port() const;
    /// Stops it (SIGTERM) and waits for it to exit.
    void stop();

private:
    std::string ready_file_;
    std::unique_ptr<WorkerProcess> process_;
    std::string url_;
};

/// `POST <url>/<index>/_mget` of `ids` with the curl command (independent of kt's client),
/// `curl_args` adding e.g. `--cacert F -u USER:PASS`: the answer's `docs`, nullopt when the
/// request fails or answers something else.
[[nodiscard]] std::optional<nlohmann::json> es_mget(const std::string& url,
                                                    const std::string& curl_args,
                                                    const std::string& index,
                                                    const nlohmann::json& ids);

}  // namespace kt::test
