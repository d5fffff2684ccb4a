#pragma once

#include <filesystem>
#include <optional>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/non_copyable.hpp"


namespace kt::test {

/// A throw-away certificate authority, a server certificate it signed for 127.0.0.1 and
/// localhost, and a second CA that signed nothing here; made with the openssl command in a
/// fresh temp folder that goes away with the object.
class TestCertificates : private NonCopyable {
public:
    /// Generates the files; throws std::runtime_error with openssl's output when it fails.
    TestCertificates();
    ~TestCertificates();

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

/// `POST <url>/<index>/_mget` of `ids` with the curl command (independent of kt's client),
/// `curl_args` adding e.g. `--cacert F -u USER:PASS`: the answer's `docs`, nullopt when the
/// request fails or answers something else.
[[nodiscard]] std::optional<nlohmann::json> es_mget(const std::string& url,
                                                    const std::string& curl_args,
                                                    const std::string& index,
                                                    const nlohmann::json& ids);

}  // namespace kt::test
