// `kt check` on a config with a `capture:` section, against the stack's PostgreSQL.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"

namespace kt::cmd {
namespace {

/// products ← tags, and regions joined by a range: a config whose capture needs a mapping.
class CheckedCapture {
public:
    explicit CheckedCapture(const std::string& extra_capture = "")
        : p_(test::unique_name("ckcap")),
          dir_(std::filesystem::temp_directory_path() / p_),
          db_(test::postgres_url()) {
        exec("CREATE TABLE {0}_products (id bigint PRIMARY KEY, zip int);"
             "CREATE TABLE {0}_tags (id bigint PRIMARY KEY, product_id bigint, name text);"
             "CREATE TABLE {0}_regions (id bigint PRIMARY KEY, lo int, name text)");
        std::filesystem::create_directories(dir_);
        std::ofstream(dir_ / "kt.yaml") << fmt::format(R"(kafka:
  brokers: "{1}"
postgres:
  url: "{2}"
elasticsearch:
  url: "{3}"
indexes:
  {0}_products:
    query: |
      SELECT p.id, jsonb_build_object('r', r.name,
        'tags', (SELECT array_agg(t.name) FROM {0}_tags t WHERE t.product_id = p.id)) AS doc
      FROM {0}_products p LEFT JOIN {0}_regions r ON r.lo <= p.zip
      WHERE p.id = ANY($1::bigint[])
capture:
  slot: {0}
  publication: {0}
{4})",
                                                       p_, test::kafka_brokers(),
                                                       test::postgres_url(), test::es_url(),
                                                       fmt::format(fmt::runtime(extra_capture),
                                                                   p_));
    }
    ~CheckedCapture() {
        try {
            exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                 "WHERE slot_name = '{0}'");
            exec("DROP TABLE {0}_products, {0}_tags, {0}_regions");
        } catch (...) {
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    CheckedCapture(const CheckedCapture&) = delete;
    CheckedCapture& operator=(const CheckedCapture&) = delete;

    void exec(const std::string& sql) {
        pqxx::nontransaction tx(db_);
        tx.exec(fmt::format(fmt::runtime(sql), p_));
    }
    test::CommandResult check() {
        return test::run_command(std::string(KT_BINARY_DIR "/cmd/kt check --config ") +
                                 (dir_ / "kt.yaml").string() + " 2>&1");
    }
    [[nodiscard]] const std::string& prefix() const { return p_; }

private:
    std::string p_;
    std::filesystem::path dir_;
    pqxx::connection db_;
};

bool has(const std::string& output, const std::string& line) {
    return output.find(line) != std::string::npos;
}

TEST(KtCheckCapture, NamesWhatCannotBeTracedTheChildTablesIdentityAndAMissingSlot) {
    CheckedCapture c;
    const auto run = c.check();
    EXPECT_EQ(run.exit_code, 1) << run.output;
    const std::string& p = c.prefix();
    EXPECT_TRUE(has(run.output, "capture: indexes: ok (2 table(s) feed them)\n")) << run.output;
    EXPECT_TRUE(has(run.output,
                    fmt::format("capture: index {0}_products: table {0}_regions: not joined to "
                                "{0}_products by equality of columns (a.x = b.y); map it under "
                                "capture.tables.{0}_regions\n",
                                p)))
        << run.output;
    EXPECT_TRUE(has(run.output, fmt::format("capture: table public.{0}_tags: a child table's "
                                            "deletes must name the document they leave: ALTER "
                                            "TABLE public.{0}_tags REPLICA IDENTITY FULL\n",
                                            p)))
        << run.output;
    EXPECT_TRUE(has(run.output, fmt::format("capture: slot {0}: ok (not created yet)\n", p)))
        << run.output;
    EXPECT_TRUE(has(run.output, fmt::format("capture: slot {0}: warning: does not exist yet: kt "
                                            "capture init creates it\n",
                                            p)))
        << run.output;
}

TEST(KtCheckCapture, PassesOnceMappedAndFullAndWarnsAboutAnInactiveSlot) {
    CheckedCapture c(R"(  tables:
    {0}_regions:
      index: {0}_products
      query: SELECT p.id FROM {0}_products p JOIN {0}_regions r ON r.lo <= p.zip
             WHERE r.id = ANY($1::bigint[])
)");
    c.exec("ALTER TABLE {0}_tags REPLICA IDENTITY FULL");
    c.exec("SELECT pg_create_logical_replication_slot('{0}', 'pgoutput')");
    const auto run = c.check();
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_TRUE(has(run.output, "capture: slot " + c.prefix() + ": ok (inactive, at "))
        << run.output;
    EXPECT_TRUE(has(run.output, "capture: slot " + c.prefix() + ": warning: nothing reads it and "
                                "it holds "))
        << run.output;
}

}  // namespace
}  // namespace kt::cmd
