#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/pg/pgoutput.hpp"

namespace kt::test {

/// One pgoutput message as the server sent it, with the WAL position it was read at.
struct CapturedMessage {
    pg::pgoutput::Lsn lsn;
    std::string bytes;
};

/// The messages of tests/unit/data/`name` (written by tests/unit/data/capture_pgoutput.sh: one
/// a line, `<lsn> <hex bytes>`). Throws std::runtime_error when the file cannot be read.
inline std::vector<CapturedMessage> read_pgoutput_capture(const std::string& name) {
    const std::string path = std::string(KT_SOURCE_DIR) + "/tests/unit/data/" + name;
    std::ifstream file(path);
    if (!file) throw std::runtime_error("cannot read " + path);
    std::vector<CapturedMessage> out;
    std::string lsn;
    std::string hex;
    while (file >> lsn >> hex) {
        std::string bytes;
        for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
            bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        }
        out.push_back({pg::pgoutput::parse_lsn(lsn), std::move(bytes)});
    }
    return out;
}

}  // namespace kt::test
