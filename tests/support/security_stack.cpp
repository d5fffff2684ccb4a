#include "tests/support/security_stack.hpp"

#include <fstream>
#include <stdexcept>

#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"

namespace kt::test {

namespace {

void openssl(const std::filesystem::path& dir, const std::string& args) {
    const auto run = run_command("cd '" + dir.string() + "' && openssl " + args);
    if (run.exit_code != 0) {
        throw std::runtime_error("openssl " + args + " failed: " + run.output);
    }
}

}  // namespace

TestCertificates::TestCertificates()
    : dir_(std::filesystem::temp_directory_path() / unique_name("tls")) {
    std::filesystem::create_directories(dir_);
    constexpr const char* kKey = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    openssl(dir_, std::string("req -x509 ") + kKey +
                      " -days 2 -subj '/CN=kt test CA' -keyout ca.key -out ca.pem");
    openssl(dir_, std::string("req -x509 ") + kKey +
                      " -days 2 -subj '/CN=kt other CA' -keyout other-ca.key -out other-ca.pem");
    openssl(dir_, std::string("req ") + kKey +
                      " -subj '/CN=127.0.0.1' -keyout server.key -out server.csr");
    std::ofstream(dir_ / "server.ext")
        << "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
           "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n";
    openssl(dir_,
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
            "-extfile server.ext -out server.pem");
}

TestCertificates::~TestCertificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::optional<nlohmann::json> es_mget(const std::string& url, const std::string& curl_args,
                                      const std::string& index, const nlohmann::json& ids) {
    const auto body = std::filesystem::temp_directory_path() / (unique_name("mget") + ".json");
    std::ofstream(body) << nlohmann::json{{"ids", ids}}.dump();
    const auto run = run_command("curl -sS --max-time 10 " + curl_args +
                                 " -H 'Content-Type: application/json' -X POST '" + url + "/" +
                                 index + "/_mget' --data-binary @'" + body.string() + "'");
    std::error_code ignored;
    std::filesystem::remove(body, ignored);
    auto answer = nlohmann::json::parse(run.output, nullptr, false);
    if (run.exit_code != 0 || !answer.is_object() || !answer.contains("docs")) return std::nullopt;
    return answer.at("docs");
}

}  // namespace kt::test
