#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/metrics/registry.hpp"
#include "tests/fakes/fakes.hpp"
#include "tests/unit/worker_loop_fixture.hpp"
#include "workers/cascader/cascader.hpp"

// The kt-cascader loop on in-memory collaborators: each test is one of its commit decisions.
namespace kt::workers {
namespace {

using fakes::wait_until;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

/// A Cascader on fakes, running on its own thread from start() until the fixture ends.
class CascaderLoop : public BatchLoopTest<Cascader> {
protected:
    CascaderLoop() {
        cascade_.name = "brands";
        cascade_.topic = "brands";
        cascade_.target = "products";
        cascade_.dead_letter_topic = "brands.dlq";
        cascade_.batch_size = 100;
        config_.cascades.push_back(cascade_);
    }

    void start(std::set<std::string> rejected = {}) {
        CascaderIo io;
        give_batch_fakes(io);
        auto target = std::make_unique<fakes::FakeTarget>();
        target_ = target.get();
        io.children = std::make_unique<fakes::FakeChildren>(
            std::map<std::string, std::vector<std::string>>{{"1", {"11", "12"}}, {"2", {"21"}}},
            std::move(rejected));
        io.target = std::move(target);
        loop_ = std::make_unique<Cascader>(config_, config_.cascades.front(), registry_,
                                           std::move(io));
        run();
    }

    config::CascadeConfig cascade_;
    fakes::FakeTarget* target_ = nullptr;
};

TEST_F(CascaderLoop, CommitsOnceEveryChildIsAcknowledged) {
    start();
    source_->push({{0, 0, R"({"id": 1})"}, {0, 1, R"({"id": 2})"}, {0, 2, R"({"id": 1})"}});
    ASSERT_TRUE(wait_until([&] { return source_->committed()[0] == 3; }));
    EXPECT_THAT(target_->acknowledged(), ElementsAre("11", "12", "21"))
        << "a parent id repeated in a batch is cascaded once";
}

TEST_F(CascaderLoop, ChildrenKafkaRefusedAreNeverCommitted) {
    start();
    target_->refuse_flushes(-1);
    source_->push({{0, 0, R"({"id": 1})"}});
    ASSERT_TRUE(wait_until([&] { return target_->flushes() >= 3; }));
    stop();
    EXPECT_THAT(source_->committed(), IsEmpty());
    EXPECT_FALSE(loop_->readiness().ok);
}

TEST_F(CascaderLoop, ABatchRetriedAfterRefusedChildrenIsCommittedOnceAcknowledged) {
    start();
    target_->refuse_flushes(2);
    source_->push({{0, 0, R"({"id": 2})"}});
    ASSERT_TRUE(wait_until([&] { return source_->committed()[0] == 1; }));
    EXPECT_THAT(target_->acknowledged(), ElementsAre("21"));
    EXPECT_EQ(sleeper_.delays().size(), 2U);
}

TEST_F(CascaderLoop, ADeadLetterThatFailsBlocksTheCommit) {
    start();
    dead_->fail_flushes(-1);
    source_->push({{0, 0, "{}"}, {0, 1, R"({"id": 2})"}});
    ASSERT_TRUE(wait_until([&] { return dead_->flushes() >= 3; }));
    EXPECT_THAT(source_->committed(), IsEmpty());
    dead_->fail_flushes(0);
    ASSERT_TRUE(wait_until([&] { return source_->committed()[0] == 2; }));
    ASSERT_EQ(dead_->acknowledged().size(), 1U);
    EXPECT_EQ(dead_->acknowledged().front().first, 0);
}

TEST_F(CascaderLoop, AParentIdTheQueryCannotTakeIsDeadLetteredAlone) {
    start({"x"});
    source_->push({{0, 0, R"({"id": 1})"}, {0, 1, R"({"id": "x"})"}, {0, 2, R"({"id": 2})"}});
    ASSERT_TRUE(wait_until([&] { return source_->committed()[0] == 3; }));
    EXPECT_THAT(target_->acknowledged(), UnorderedElementsAre("11", "12", "21"));
    ASSERT_EQ(dead_->acknowledged().size(), 1U);
    EXPECT_EQ(dead_->acknowledged().front().first, 1);
    EXPECT_THAT(dead_->acknowledged().front().second,
                ::testing::HasSubstr("id rejected by the query (SQLSTATE 22P02)"));
}

TEST_F(CascaderLoop, ARevokedPartitionsWorkIsDropped) {
    start();
    source_->revoke_while_polling(1);
    source_->push({{0, 0, R"({"id": 1})"}, {1, 0, R"({"id": 2})"}});
    ASSERT_TRUE(wait_until([&] { return source_->committed()[0] == 1; }));
    EXPECT_EQ(source_->committed().count(1), 0U);
    EXPECT_THAT(target_->acknowledged(), ElementsAre("11", "12"));
}

}  // namespace
}  // namespace kt::workers
