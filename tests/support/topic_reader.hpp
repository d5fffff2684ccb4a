#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "lib/non_copyable.hpp"
#include "tests/support/dev_stack.hpp"

namespace kt::kafka {
class Consumer;
}

namespace kt::test {

/// A consumed message and when the test saw it (unix seconds).
struct ReceivedMessage {
    ReadMessage message;
    double received_at = 0;
};

/// Reads a topic from its start with a fresh consumer group for as long as the test runs, so a
/// test can wait for messages that workers produce later. Join it before the worker starts: a
/// group join on the development broker takes about 3 s. Not thread-safe.
class TopicReader : private NonCopyable {
public:
    /// Subscribes with a unique group; messages are read by read_until().
    explicit TopicReader(const std::string& topic);
    ~TopicReader();

    /// Polls until at least `count` messages were read in total or `timeout` passes; returns
    /// everything read so far, in arrival order.
    const std::vector<ReceivedMessage>& read_until(std::size_t count,
                                                   std::chrono::milliseconds timeout);
    /// Polls for `duration` whatever arrives (to check that nothing more comes).
    const std::vector<ReceivedMessage>& read_for(std::chrono::milliseconds duration);
    /// Waits up to `timeout` until the group assigned this reader its partitions.
    bool wait_assigned(std::chrono::milliseconds timeout);
    /// Everything read so far.
    [[nodiscard]] const std::vector<ReceivedMessage>& messages() const { return messages_; }

private:
    void poll_once(std::chrono::milliseconds timeout);

    std::vector<ReceivedMessage> messages_;
    std::unique_ptr<kafka::Consumer> consumer_;
};

/// Unix time now, in seconds.
[[nodiscard]] double unix_now();

}  // namespace kt::test
