// A worker's group status as the status page tests show it, named the way kt names groups.
#pragma once

#include <string>

#include "lib/http/status_report.hpp"

namespace kt::test {

/// The status of worker `worker`'s config entry `name` reading `topic`: consumer group
/// `kt.<worker>.<name>`, dead letters to `<topic>.dlq`; the rest left empty.
inline http::GroupStatus worker_group(const std::string& worker, const std::string& name,
                                      const std::string& topic) {
    http::GroupStatus group;
    group.worker = worker;
    group.name = name;
    group.group = "kt." + worker + "." + name;
    group.topic = topic;
    group.dead_letter_topic = topic + ".dlq";
    return group;
}

}  // namespace kt::test
