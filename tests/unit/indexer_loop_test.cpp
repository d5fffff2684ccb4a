#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/metrics/registry.hpp"
#include "tests/fakes/fakes.hpp"
#include "tests/unit/worker_loop_fixture.hpp"
#include "workers/indexer/indexer.hpp"

// The kt-indexer loop on in-memory collaborators: each test is one of its commit decisions.
namespace kt::workers {
namespace {

using fakes::wait_until;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

/// An Indexer on fakes, running on its own thread from start() until the fixture ends.
class IndexerLoop : public BatchLoopTest<Indexer> {
protected:
    IndexerLoop() {
        index_.name = "products";
        index_.topic = "products";
        index_.dead_letter_topic = "products.dlq";
        index_.batch_size = 100;
        config_.indexes.push_back(index_);
    }

    void start(std::map<std::string, std::string> docs = {{"1", R"({"name":"one"})"}}) {
        IndexerIo io;
        give_batch_fakes(io);
        auto bulk = std::make_unique<fakes::FakeBulk>();
        bulk_ = bulk.get();
        io.bulk = std::move(bulk);
        io.connect_rows = [docs] { return std::make_unique<fakes::FakeRows>(docs); };
        io.ensure_alias = [] {};
        loop_ = std::make_unique<Indexer>(config_, config_.indexes.front(), registry_,
                                          std::move(io));
    }

    config::IndexConfig index_;
    fakes::FakeBulk* bulk_ = nullptr;
};

TEST_F(IndexerLoop, CommitsABatchOnceItIsWritten) {
    start();
    source_->push({{0, 0, R"({"id": 1})"}, {0, 1, R"({"id": 2})"}});
    run();
    ASSERT_TRUE(wait_until([&] { return source_->committed()[0] == 2; }));
    EXPECT_THAT(bulk_->written(), ElementsAre("index 1", "delete 2"));
}

TEST_F(IndexerLoop, AFailedWriteIsNeverCommitted) {
    start();
    bulk_->fail_writes(-1);
    source_->push({{0, 0, R"({"id": 1})"}});
    run();
    ASSERT_TRUE(wait_until([&] { return bulk_->writes() >= 3; }));
    stop();
    EXPECT_THAT(source_->committed(), IsEmpty());
    EXPECT_FALSE(loop_->readiness().ok) << "a failing batch makes the indexer not ready";
}

TEST_F(IndexerLoop, AWriteThatSucceedsOnRetryIsCommittedThen) {
    start();
    bulk_->fail_writes(2);
    source_->push({{0, 0, R"({"id": 1})"}});
    run();
    ASSERT_TRUE(wait_until([&] { return source_->committed()[0] == 1; }));
    EXPECT_EQ(bulk_->writes(), 3);
    EXPECT_EQ(sleeper_.delays().size(), 2U) << "one backoff wait per failed attempt";
    EXPECT_TRUE(loop_->readiness().ok);
}

TEST_F(IndexerLoop, ADeadLetterThatFailsBlocksTheCommit) {
    start();
    dead_->fail_flushes(-1);
    source_->push({{0, 0, "not json"}, {0, 1, R"({"id": 1})"}});
    run();
    ASSERT_TRUE(wait_until([&] { return dead_->flushes() >= 3; }));
    EXPECT_THAT(source_->committed(), IsEmpty());
    dead_->fail_flushes(0);
    ASSERT_TRUE(wait_until([&] { return source_->committed()[0] == 2; }));
    ASSERT_EQ(dead_->acknowledged().size(), 1U);
    EXPECT_EQ(dead_->acknowledged().front().first, 0);
}

TEST_F(IndexerLoop, ARevokedPartitionsWorkIsDropped) {
    start({{"1", R"({"name":"one"})"}, {"2", R"({"name":"two"})"}});
    source_->revoke_while_polling(1);
    source_->push({{0, 0, R"({"id": 1})"}, {1, 0, R"({"id": 2})"}});
    run();
    ASSERT_TRUE(wait_until([&] { return source_->committed()[0] == 1; }));
    EXPECT_EQ(source_->committed().count(1), 0U);
    EXPECT_THAT(bulk_->written(), ElementsAre("index 1"));
}

TEST_F(IndexerLoop, BatchesAreCommittedInOrderEachOnceWritten) {
    start({{"1", R"({"name":"one"})"}, {"2", R"({"name":"two"})"}});
    source_->push({{0, 0, R"({"id": 1})"}});
    source_->push({{0, 1, R"({"id": 2})"}});
    run();
    ASSERT_TRUE(wait_until([&] { return source_->committed()[0] == 2; }));
    EXPECT_THAT(bulk_->written(), ElementsAre("index 1", "index 2"));
}

}  // namespace
}  // namespace kt::workers
