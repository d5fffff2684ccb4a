// The part the worker loop fixtures share: what a loop is built from and the thread it runs on.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <stop_token>
#include <thread>

#include "lib/config/config.hpp"
#include "lib/metrics/registry.hpp"
#include "tests/fakes/fakes.hpp"

namespace kt::workers {

/// A fixture for one `Loop` (Indexer, Delayer, Cascader) on fakes: the derived fixture builds
/// `loop_` from `config_`, `registry_` and `sleeper_`; run() starts it on its own thread, which
/// is stopped before anything the loop uses is destroyed.
template <class Loop>
class WorkerLoopTest : public ::testing::Test {
public:
    ~WorkerLoopTest() override { stop(); }

protected:
    /// Starts `loop_` on the fixture's thread.
    void run() {
        thread_ = std::jthread([this](std::stop_token stop) { loop_->run(stop); });
    }
    /// Stops the loop and waits for it: nothing more is committed after this.
    void stop() {
        if (!thread_.joinable()) return;
        thread_.request_stop();
        thread_.join();
    }

    config::Config config_;
    metrics::Registry registry_;
    fakes::ManualSleeper sleeper_;
    std::unique_ptr<Loop> loop_;
    std::jthread thread_;
};

/// A WorkerLoopTest for a loop on the batch pipeline (Indexer, Cascader), which reads a fake
/// source and writes poison to fake dead letters.
template <class Loop>
class BatchLoopTest : public WorkerLoopTest<Loop> {
protected:
    /// Gives `io` the fake source and dead letters (kept in source_ and dead_) and the sleeper.
    template <class Io>
    void give_batch_fakes(Io& io) {
        auto source = std::make_unique<fakes::FakeSource>();
        auto dead = std::make_unique<fakes::FakeDeadLetters>();
        source_ = source.get();
        dead_ = dead.get();
        io.source = std::move(source);
        io.dead_letters = std::move(dead);
        io.sleep = this->sleeper_.sleeper();
    }

    fakes::FakeSource* source_ = nullptr;
    fakes::FakeDeadLetters* dead_ = nullptr;
};

}  // namespace kt::workers
