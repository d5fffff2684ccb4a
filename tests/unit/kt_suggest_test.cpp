// The commands kt suggests in its output: pasted as they are, they run with the user's own
// options.
#include <gtest/gtest.h>

#include <string>

#include "cmd/kt/suggest.hpp"

namespace kt::cmd {
namespace {

TEST(ShellQuote, LeavesPlainWordsAsTheyAre) {
    for (const std::string word : {"products", "config/kt.yaml", "--fix", "a_b-c.d:e,f@g%h+i=j"}) {
        EXPECT_EQ(shell_quote(word), word);
    }
}

TEST(ShellQuote, QuotesWordsTheShellWouldChange) {
    for (const std::string word :
         {"my config.yaml", "$HOME/kt.yaml", "~/kt.yaml", "a*b", "a;rm -rf x"}) {
        EXPECT_EQ(shell_quote(word), "'" + word + "'");
    }
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_EQ(shell_quote("it's.yaml"), "'it'\\''s.yaml'");
}

TEST(SuggestCommand, WithoutGivenOptionsIsTheBareCommand) {
    EXPECT_EQ(suggest_command({}, "verify", {"products", "--fix"}), "kt verify products --fix");
    EXPECT_EQ(suggest_command({}, "reindex", {"products"}), "kt reindex products");
}

TEST(SuggestCommand, RepeatsTheConfigTheUserGave) {
    GlobalOptions given;
    given.config_path = "/etc/kt/prod.yaml";
    EXPECT_EQ(suggest_command(given, "verify", {"products", "--fix"}),
              "kt --config /etc/kt/prod.yaml verify products --fix");
}

TEST(SuggestCommand, RepeatsTheLogFormatTheUserGave) {
    GlobalOptions given;
    given.log_format = "json";
    EXPECT_EQ(suggest_command(given, "reindex", {"products"}),
              "kt --log-format json reindex products");
    given.config_path = "kt.yaml";
    EXPECT_EQ(suggest_command(given, "reindex", {"products"}),
              "kt --config kt.yaml --log-format json reindex products");
}

TEST(SuggestCommand, QuotesEveryValueThatNeedsIt) {
    GlobalOptions given;
    given.config_path = "/home/me/my configs/kt's.yaml";
    EXPECT_EQ(suggest_command(given, "verify", {"odd name", "--fix"}),
              "kt --config '/home/me/my configs/kt'\\''s.yaml' verify 'odd name' --fix");
}

}  // namespace
}  // namespace kt::cmd
