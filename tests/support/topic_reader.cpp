#include "tests/support/topic_reader.hpp"

#include "lib/kafka/consumer.hpp"
#include "tests/support/test_env.hpp"

namespace kt::test {

using namespace std::chrono_literals;

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TopicReader::TopicReader(const std::string& topic) {
    kafka::Options options = broker_options();
    options.group_id = unique_name("reader");
    options.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
    consumer_ = std::make_unique<kafka::Consumer>(options);
    consumer_->subscribe({topic});
}

TopicReader::~TopicReader() {
    try {
        consumer_->close();
    } catch (...) {
    }
}

void TopicReader::poll_once(std::chrono::milliseconds timeout) {
    std::vector<kafka::Message> got;
    consumer_->poll_batch(got, 10000, timeout);
    const double now = unix_now();
    for (const auto& m : got) messages_.push_back({copy_message(m), now});
}

const std::vector<ReceivedMessage>& TopicReader::read_until(std::size_t count,
                                                            std::chrono::milliseconds timeout) {
    wait_until(
        [&] {
            poll_once(50ms);
            return messages_.size() >= count;
        },
        timeout, 1ms);
    return messages_;
}

const std::vector<ReceivedMessage>& TopicReader::read_for(std::chrono::milliseconds duration) {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < until) poll_once(50ms);
    return messages_;
}

bool TopicReader::wait_assigned(std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
            poll_once(50ms);
            return !consumer_->assignment().empty();
        },
        timeout, 1ms);
}

}  // namespace kt::test
