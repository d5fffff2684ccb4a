// The status page in a real browser: Debian's headless Chromium loads `/` of a running
// kt-delayer, runs the page's script (which fetches /status.json) and the rendered table is
// checked; a screenshot is kept in the build directory as a test artifact. The page's layout is
// measured in the browser at 800 and 1280 px wide: no column may be cut off.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

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
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "lib/http/status_page.hpp"
#include "lib/http/status_report.hpp"
#include "lib/kafka/producer.hpp"
#include "lib/wire/messages.hpp"
#include "tests/support/dev_stack.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/group_status.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/topic_reader.hpp"
#include "tests/support/worker_process.hpp"

namespace kt::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr auto kDeadline = 120s;
const std::string kChromium = "chromium";
/// Where the screenshot is kept after the run.
const fs::path kArtifactDir = fs::path(KT_BINARY_DIR) / "test-artifacts";

/// Runs headless Chromium on `url` with `mode` (`--dump-dom` or `--screenshot=F`); its own
/// profile directory, so parallel runs never share one; a hard time limit so that a hung
/// browser fails the test instead of stalling it. The page's 2 s refresh timer runs on virtual
/// time, so the budget covers several refreshes without waiting for them. `window` is
/// `WIDTH,HEIGHT` in CSS pixels.
CommandResult chromium(const std::string& url, const std::string& mode, const fs::path& profile,
                       const std::string& window = "1400,500") {
    return run_command(fmt::format(
        "timeout -k 5 90 {} --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
        "--no-first-run --user-data-dir='{}' --virtual-time-budget=5000 "
        "--window-size={} {} '{}' 2>/dev/null",
        kChromium, profile.string(), window, mode, url));
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
    Fixture fixture("stb");
    const std::string& name = fixture.name();
    const std::string delay_topic = name + "_later";
    const std::string group = name + "_g.delayer." + delay_topic;
    const fs::path& dir = fixture.dir();
    fixture.create_topic(name, 1);
    fixture.create_topic_with_dead_letters(delay_topic, 3);
    auto config = fixture.config();
    config.properties.clear();
    config.sections = fmt::format(R"(indexes:
  {0}:
    table: {0}
delayers:
  {1}: {{ delay: 1h, target: {0} }}
)",
                                  name, delay_topic);
    fixture.write_config(config);
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
    const auto worker = fixture.start_worker("kt-delayer", "delayer");
    WorkerProcess& delayer = *worker;
    const auto port = wait_status_port(delayer, kDeadline);
    ASSERT_TRUE(port) << delayer.log();
    // The worker's own view first, so that the browser is only asked once there is a result.
    ASSERT_TRUE(wait_until(
        [&] {
            const auto [code, body] = http_get(*port, "/status.json");
            if (code != 200) return false;
            const json doc = json::parse(body);
            for (const auto& g : doc.at("groups")) {
                if (g.at("group") != group || g.at("held") != 4) continue;
                if (g.at("partitions").size() != 3) return false;
                // Every end known: an empty partition's end comes with its first fetch answer,
                // which the broker holds back for up to fetch.wait.max.ms.
                for (const auto& p : g.at("partitions")) {
                    if (!p.contains("end") || !p.at("end").is_number() || p.at("end") < 0) {
                        return false;
                    }
                }
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
}

/// Appended to the page under test: once the table has rows, it measures every header and
/// cell (position against the viewport, whether its content fits, the scrolling box around it)
/// and writes the result as JSON into a hidden `<pre id="kt-layout">` for --dump-dom.
constexpr std::string_view kLayoutProbe = R"js(<script>
(function () {
  "use strict";
  function box(el) { const r = el.getBoundingClientRect(); return {left: r.left, right: r.right}; }
  function scroller(el) {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const o = getComputedStyle(e).overflowX;
      if (o === "auto" || o === "scroll") return e;
    }
    return null;
  }
  function measure() {
    if (!document.querySelector("#rows tr")) { setTimeout(measure, 50); return; }
    const root = document.documentElement;
    const out = {innerWidth: window.innerWidth, clientWidth: root.clientWidth,
                 scrollWidth: root.scrollWidth, cells: []};
    document.querySelectorAll("#status tr").forEach((tr, row) => {
      Array.from(tr.children).forEach((c, column) => {
        const s = scroller(c);
        const cell = Object.assign(box(c), {
          row: row, column: column, header: c.tagName === "TH",
          cls: c.className.split(" ")[0], empty: c.textContent === "",
          fits: c.scrollWidth <= c.clientWidth + 1});
        if (s) {
          cell.box = Object.assign(box(s), {scrollWidth: s.scrollWidth,
                                            clientWidth: s.clientWidth, scrollLeft: s.scrollLeft});
        }
        out.cells.push(cell);
      });
    });
    const pre = document.createElement("pre");
    pre.id = "kt-layout";
    pre.hidden = true;
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  measure();
})();
</script>
)js";

/// A report as wide as real ones get: long consumer group and topic names, large offsets, a
/// delayer's held envelopes, a long last error with a URL in it, and a missing topic.
http::StatusReport wide_report() {
    const double now = unix_now();
    auto partitions = [](int count, std::int64_t base) {
        std::vector<http::PartitionStatus> out;
        for (int i = 0; i < count; ++i) {
            const std::int64_t committed = base + i * 1000;
            out.push_back({i, committed, committed + 423, 423, 1234.5});
        }
        return out;
    };
    http::StatusReport report;
    report.source = "kt status";
    report.generated_at = now;
    http::GroupStatus products = worker_group("indexer", "products", "products");
    products.dead_letters = 12;
    products.partitions = partitions(3, 18234567);
    http::GroupStatus delayer = worker_group("delayer", "delay_5m", "delay_5m");
    delayer.dead_letters = 0;
    delayer.held = 4821;
    delayer.next_release_in = 263;
    delayer.last_error = "kafka: produce to products failed: Local: Message timed out (retrying)";
    delayer.last_error_at = now - 42;
    delayer.partitions = partitions(2, 912345);
    const std::string archive_name = "customer_order_line_items_archive";
    http::GroupStatus archive = worker_group("indexer", archive_name, archive_name);
    archive.dead_letters = 3;
    archive.last_error =
        "elasticsearch: bulk request to http://search.internal.example:9200/_bulk failed: 429 "
        "Too Many Requests (es_rejected_execution_exception: rejected execution of coordinating "
        "operation)";
    archive.last_error_at = now - 5;
    archive.partitions = partitions(1, 5);
    http::GroupStatus cascade = worker_group("cascader", "brand_products", "brands");
    cascade.problem = "topic brands does not exist";
    report.groups = {products, delayer, archive, cascade};
    return report;
}

/// What the layout probe reported in a dumped DOM; a null json when it is not there.
json layout_of(const std::string& dom) {
    const std::string open = R"(<pre id="kt-layout" hidden="">)";
    const auto at = dom.find(open);
    if (at == std::string::npos) return {};
    const auto end = dom.find("</pre>", at);
    if (end == std::string::npos) return {};
    std::string text = dom.substr(at + open.size(), end - at - open.size());
    for (const auto& [entity, c] : std::vector<std::pair<std::string, std::string>>{
             {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}}) {
        for (auto pos = text.find(entity); pos != std::string::npos;
             pos = text.find(entity, pos + c.size())) {
            text.replace(pos, entity.size(), c);
        }
    }
    return json::parse(text, nullptr, false);
}

/// Serves the status page with the layout probe in it and `report` as its /status.json on a
/// free local port, on its own thread.
class ProbedPage {
public:
    explicit ProbedPage(const http::StatusReport& report)
        : json_(http::to_json(report)), page_(probed_page()), server_([this](httplib::Server& s) {
              s.Get("/", [this](const httplib::Request&, httplib::Response& res) {
                  res.set_content(page_, "text/html; charset=utf-8");
              });
              s.Get("/status.json", [this](const httplib::Request&, httplib::Response& res) {
                  res.set_content(json_, "application/json");
              });
          }) {}

    [[nodiscard]] std::string url() const { return server_.url() + "/"; }

private:
    /// The status page with the layout probe before its `</body>`.
    static std::string probed_page() {
        std::string page(http::status_page_html());
        const auto body_end = page.rfind("</body>");
        page.insert(body_end == std::string::npos ? page.size() : body_end, kLayoutProbe);
        return page;
    }

    std::string json_;
    std::string page_;
    LocalHttpServer server_;  // last: it stops before the page goes
};

/// Loads the probed page at `width` x `height` and returns what the probe measured.
json measured_layout(const ProbedPage& page, int width, int height, const fs::path& profile) {
    json layout;
    std::string dom;
    const bool measured = wait_until(
        [&] {
            dom = chromium(page.url(), "--dump-dom", profile,
                           fmt::format("{},{}", width, height))
                      .output;
            layout = layout_of(dom);
            return layout.is_object();
        },
        kDeadline, 500ms);
    EXPECT_TRUE(measured) << "no layout at width " << width << "; last DOM:\n" << dom;
    return layout;
}

/// Every header and cell of the table must be whole on screen at `width`: inside the viewport
/// (the document's client width, which leaves out a vertical scrollbar) or, when
/// `may_scroll_table`, reachable in a scrolling box that itself lies inside the viewport; and
/// the page itself must never be wider than the window.
void expect_nothing_cut_off(const json& layout, int width, bool may_scroll_table) {
    ASSERT_TRUE(layout.is_object());
    constexpr double kSlack = 0.5;  // sub-pixel rounding
    EXPECT_EQ(layout.at("innerWidth").get<int>(), width) << "the window was not sized as asked";
    const double view = layout.at("clientWidth").get<double>();
    EXPECT_LE(layout.at("scrollWidth").get<double>(), layout.at("innerWidth").get<double>())
        << "the page is wider than the window at " << width << " px";
    EXPECT_LE(layout.at("scrollWidth").get<double>(), view)
        << "the page scrolls sideways at " << width << " px";
    int headers = 0;
    int last_column_values = 0;
    for (const json& cell : layout.at("cells")) {
        const std::string what =
            fmt::format("{} {} (row {}, column {}) at width {}: {}",
                        cell.at("header").get<bool>() ? "header" : "cell",
                        cell.at("cls").get<std::string>(), cell.at("row").get<int>(),
                        cell.at("column").get<int>(), width, cell.dump());
        if (cell.at("header").get<bool>()) ++headers;
        if (cell.at("cls") == "last-error" && !cell.at("empty").get<bool>()) ++last_column_values;
        const double left = cell.at("left").get<double>();
        const double right = cell.at("right").get<double>();
        EXPECT_TRUE(cell.at("fits").get<bool>()) << "content cut off inside the " << what;
        const bool on_screen = left >= -kSlack && right <= view + kSlack;
        if (on_screen) continue;
        EXPECT_TRUE(may_scroll_table) << "off screen: " << what;
        if (!may_scroll_table) continue;
        ASSERT_TRUE(cell.contains("box")) << "off screen and not in a scrolling box: " << what;
        const json& box = cell.at("box");
        EXPECT_GE(box.at("left").get<double>(), -kSlack) << what;
        EXPECT_LE(box.at("right").get<double>(), view + kSlack) << what;
        // Its right edge, measured from the box's scrolled-to-the-start edge, within reach.
        const double reach = right - box.at("left").get<double>() +
                             box.at("scrollLeft").get<double>();
        EXPECT_LE(reach, box.at("scrollWidth").get<double>() + 1.0) << what;
    }
    EXPECT_EQ(headers, 13) << layout.dump();
    EXPECT_EQ(last_column_values, 2) << "the last column's values were not rendered";
}

TEST(StatusPageBrowser, NoColumnIsCutOffAt1280OrAt800PixelsWide) {
    const std::string name = unique_name("stw");
    const fs::path dir = fs::temp_directory_path() / name;
    fs::create_directories(dir);
    const ProbedPage page(wide_report());

    // 1280 px: every column on screen, text wrapped as needed.
    expect_nothing_cut_off(measured_layout(page, 1280, 900, dir / "profile"), 1280, false);
    // 800 px: the table may scroll inside its own box, the page may not.
    expect_nothing_cut_off(measured_layout(page, 800, 900, dir / "profile"), 800, true);

    fs::create_directories(kArtifactDir);
    for (const int width : {800, 1280}) {
        const fs::path shot = kArtifactDir / fmt::format("status_page_{}.png", width);
        fs::remove(shot);
        (void)chromium(page.url(), "--screenshot='" + shot.string() + "'", dir / "profile",
                       fmt::format("{},900", width));
        EXPECT_TRUE(fs::exists(shot)) << shot;
    }
    std::error_code ignored;
    fs::remove_all(dir, ignored);
}

}  // namespace
}  // namespace kt::test
