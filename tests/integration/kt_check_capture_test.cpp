// `kt check` on a config with a `capture:` section, against the stack's PostgreSQL.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <string>

#include "lib/non_copyable.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_env.hpp"

namespace kt::cmd {
namespace {

/// products ← tags, and regions joined by a range: a config whose capture needs a mapping.
class CheckedCapture : private NonCopyable {
public:
    explicit CheckedCapture(const std::string& extra_capture = "") : f_("ckcap") {
        f_.create_tables(text("CREATE TABLE {0}_products (id bigint PRIMARY KEY, zip int);"
                              "CREATE TABLE {0}_tags (id bigint PRIMARY KEY, product_id bigint,"
                              "  name text);"
                              "CREATE TABLE {0}_regions (id bigint PRIMARY KEY, lo int, name text)"),
                         {f_.name("products"), f_.name("tags"), f_.name("regions")});
        test::KtConfig config = f_.config();
        config.sections = text(R"(indexes:
  {0}_products:
    query: |
      SELECT p.id, jsonb_build_object('r', r.name,
        'tags', (SELECT array_agg(t.name) FROM {0}_tags t WHERE t.product_id = p.id)) AS doc
      FROM {0}_products p LEFT JOIN {0}_regions r ON r.lo <= p.zip
      WHERE p.id = ANY($1::bigint[])
capture:
  slot: {0}
  publication: {0}
)" + extra_capture);
        f_.write_config(config);
    }
    /// The slot goes before the fixture drops the tables.
    ~CheckedCapture() {
        try {
            exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                 "WHERE slot_name = '{0}'");
        } catch (...) {
        }
    }

    [[nodiscard]] std::string text(const std::string& sql) const {
        return fmt::format(fmt::runtime(sql), f_.name());
    }
    void exec(const std::string& sql) { f_.exec(text(sql)); }
    test::CommandResult check() { return f_.kt("check"); }
    [[nodiscard]] const std::string& prefix() const { return f_.name(); }

private:
    test::Fixture f_;
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
