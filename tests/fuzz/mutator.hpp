#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace kt::fuzz {

/// Structure-aware generator and mutator of hostile inputs, deterministic for a seed: instant
/// messages and delay envelopes built from awkward JSON (ids at the edges of the wire format,
/// bad UTF-8, escapes, duplicates, nesting), YAML configs mutated line by line, and plain byte
/// mutations on top.
class Mutator {
public:
    explicit Mutator(std::uint64_t seed) : rng_(seed) {}

    /// A fresh instant message such as `{"id": 42, "pad": [...]}`, sometimes subtly wrong.
    std::string message();
    /// A fresh delay envelope, sometimes subtly wrong.
    std::string envelope();
    /// `yaml` with a few line-level edits (delete, duplicate, swap, re-indent, replace a value).
    std::string yaml(std::string yaml);
    /// `input` with a few byte-level edits; `other` may be spliced in.
    std::string bytes(std::string input, std::string_view other);

    /// A number in [0, n).
    std::size_t below(std::size_t n);
    /// True with probability 1/n.
    bool one_in(std::size_t n) { return below(n) == 0; }

private:
    std::string id_value();
    std::string json_value(int depth);
    std::string json_string();
    std::string key();
    std::string space();
    std::string object(std::vector<std::string> members);
    std::string pick(const std::vector<std::string>& options);

    std::mt19937_64 rng_;
};

}  // namespace kt::fuzz
