// The status page in a real browser: Debian's headless Chromium loads `/` of a running
// kt-delayer, runs the page's script (which fetches /status.json) and the rendered table is
// checked; a screenshot is kept in the build directory as a test artifact.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "lib/kafka/producer.hpp"
#include "lib/wire/messages.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr auto kDeadline = 120s;
const std::string kDelayerBinary = KT_BINARY_DIR "/cmd/kt-delayer";
const std::string kChromium = "chromium";
/// Where the screenshot is kept after the run.
const fs::path kArtifactDir = fs::path(KT_BINARY_DIR) / "test-artifacts";

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Runs headless Chromium on `url` with `mode` (`--dump-dom` or `--screenshot=F`); its own
/// profile directory, so parallel runs never share one; a hard time limit so that a hung
/// browser fails the test instead of stalling it. The page's 2 s refresh timer runs on virtual
/// time, so the budget covers several refreshes without waiting for them.
CommandResult chromium(const std::string& url, const std::string& mode, const fs::path& profile) {
    return run_command(fmt::format(
        "timeout -k 5 90 {} --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
        "--no-first-run --user-data-dir='{}' --virtual-time-budget=5000 "
        "--window-size=1400,500 {} '{}' 2>/dev/null",
        kChromium, profile.string(), mode, url));
}

/// The rendered `<tr class="partition...">` rows of a dumped DOM: partition -> cells by class.
std::map<int, std::map<std::string, std::string>> rendered_rows(const std::string& dom,
                                                                const std::string& group) {
    std::map<int, std::map<std::string, std::string>> rows;
    const std::regex row_re(
        R"re(<tr class="partition[^"]*" data-group="([^"]*)" data-partition="(\d+)">(.*?)</tr>)re");
    const std::regex cell_re(R"re(<td class="([a-z-]+)(?: [a-z ]+)?"[^>]*>([^<]*)</td>)re");
    for (auto it = std::sregex_iterator(dom.begin(), dom.end(), row_re);
         it != std::sregex_iterator(); ++it) {
        if ((*it)[1] != group) continue;
        auto& cells = rows[std::stoi((*it)[2])];
        const std::string body = (*it)[3];
        for (auto c = std::sregex_iterator(body.begin(), body.end(), cell_re);
             c != std::sregex_iterator(); ++c) {
            cells[(*c)[1]] = (*c)[2];
        }
    }
    return rows;
}

TEST(StatusPageBrowser, ChromiumRendersOneRowPerPartitionWithItsLag) {
    const std::string name = unique_name("stb");
    const std::string delay_topic = name + "_later";
    const std::string group = name + "_g.delayer." + delay_topic;
    const fs::path dir = fs::temp_directory_path() / name;
    fs::create_directories(dir);
    create_topic(name, 1);
    create_topic(delay_topic, 3);
    create_topic(delay_topic + ".dlq", 1);
    std::ofstream(dir / "kt.yaml") << fmt::format(R"(kafka:
  brokers: "{}"
  group_prefix: {}_g
postgres:
  url: "{}"
elasticsearch:
  url: "{}"
indexes:
  {}:
    table: {}
delayers:
  {}: {{ delay: 1h, target: {} }}
)",
                                                  kafka_brokers(), name, postgres_url(), es_url(),
                                                  name, name, delay_topic, name);
    {
        // Held for an hour: 3 on partition 0, 1 on partition 1, none on partition 2.
        kafka::Producer producer(broker_options());
        const std::vector<std::int32_t> partitions{0, 0, 0, 1};
        for (std::size_t i = 0; i < partitions.size(); ++i) {
            const std::string envelope =
                wire::delay_envelope(fmt::format(R"({{"id":{}}})", i), name, unix_now());
            producer.produce(
                kafka::Record{delay_topic, std::nullopt, envelope, {}, partitions[i], 0});
        }
        ASSERT_TRUE(producer.flush(30s).ok());
    }
    WorkerProcess delayer(
        WorkerProcessOptions{kDelayerBinary,
                             {"--config", (dir / "kt.yaml").string(), "--metrics-port", "0"},
                             {},
                             (dir / "delayer.log").string()});
    const auto port = wait_status_port(delayer, kDeadline);
    ASSERT_TRUE(port) << delayer.log();
    // The worker's own view first, so that the browser is only asked once there is a result.
    ASSERT_TRUE(wait_until(
        [&] {
            const auto [code, body] = http_get(*port, "/status.json");
            if (code != 200) return false;
            const json doc = json::parse(body);
            for (const auto& g : doc.at("groups")) {
                if (g.at("group") == group && g.at("held") == 4 && g.at("partitions").size() == 3)
                    return true;
            }
            return false;
        },
        kDeadline, 100ms))
        << delayer.log();

    const std::string url = fmt::format("http://127.0.0.1:{}/", *port);
    std::map<int, std::map<std::string, std::string>> rows;
    std::string dom;
    int runs = 0;
    const bool rendered = wait_until(
        [&] {
            ++runs;
            const auto run = chromium(url, "--dump-dom", dir / "profile");
            dom = run.output;
            rows = rendered_rows(dom, group);
            return rows.size() == 3;
        },
        kDeadline, 500ms);
    ASSERT_TRUE(rendered) << runs << " run(s); last DOM:\n" << dom;
    EXPECT_EQ(rows[0]["partition"], "0");
    EXPECT_EQ(rows[0]["lag"], "3");
    EXPECT_EQ(rows[0]["end"], "3");
    EXPECT_EQ(rows[0]["committed"], "-");
    EXPECT_EQ(rows[0]["held"], "4");  // the group's cells are on its first row
    EXPECT_THAT(rows[0]["next-release"], ::testing::EndsWith(" min"));
    EXPECT_EQ(rows[1]["partition"], "1");
    EXPECT_EQ(rows[1]["lag"], "1");
    EXPECT_EQ(rows[2]["partition"], "2");
    EXPECT_EQ(rows[2]["lag"], "0");
    EXPECT_EQ(rows[2]["end"], "0");

    fs::create_directories(kArtifactDir);
    const fs::path shot = kArtifactDir / "status_page.png";
    fs::remove(shot);
    const bool captured = wait_until(
        [&] {
            (void)chromium(url, "--screenshot='" + shot.string() + "'", dir / "profile");
            return fs::exists(shot) && fs::file_size(shot) > 1000;
        },
        kDeadline, 500ms);
    ASSERT_TRUE(captured) << shot;
    std::ifstream png(shot, std::ios::binary);
    char magic[8] = {};
    png.read(magic, sizeof magic);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG");

    delayer.terminate();
    EXPECT_EQ(delayer.wait_exit(15s), 0) << delayer.log();
    std::error_code ignored;
    fs::remove_all(dir, ignored);
}

}  // namespace
}  // namespace kt::test
