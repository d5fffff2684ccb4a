#include "workers/verify/comparison.hpp"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "workers/common/doc_version.hpp"

namespace kt::workers {

namespace {

std::uint64_t document_hash(std::string_view json_text) {
    return static_cast<std::uint64_t>(std::hash<std::string>{}(canonical_json(json_text)));
}

bool all_digits(const std::string& id) {
    return !id.empty() &&
           std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// All-digit ids numerically, before the others, which sort as text.
bool id_less(const std::string& a, const std::string& b) {
    const bool da = all_digits(a);
    const bool db = all_digits(b);
    if (da != db) return da;
    if (da && a.size() != b.size()) return a.size() < b.size();
    return a < b;
}

}  // namespace

std::string canonical_json(std::string_view text) {
    // nlohmann's object keeps its keys in a std::map: dump() writes them sorted.
    const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded()) return std::string(text);
    return parsed.dump();
}

void IndexComparison::add_row(std::string id, std::string_view doc_json) {
    rows_[std::move(id)] = Expected{document_hash(doc_json), false};
}

void IndexComparison::add_document(std::string_view id, std::string_view source_json,
                                   std::optional<std::int64_t> version) {
    ++report_.documents;
    if (version && transaction_count_) {
        const VersionReading reading = read_version(*version, *transaction_count_);
        if (reading.origin == VersionOrigin::kForeign) {
            (reading.ahead ? maybe_ahead_ : report_.foreign)
                .push_back({std::string(id), *version, reading.ahead});
        }
    }
    const auto it = rows_.find(std::string(id));
    if (it == rows_.end()) {
        report_.extra.emplace_back(id);
        return;
    }
    it->second.seen = true;
    if (it->second.hash != document_hash(source_json)) report_.stale.emplace_back(id);
}

VerifyReport IndexComparison::finish(std::optional<std::int64_t> transaction_count_after) {
    report_.rows = rows_.size();
    for (ForeignDocument& doc : maybe_ahead_) {
        const VersionReading reading =
            read_version(doc.version, transaction_count_after.value_or(*transaction_count_));
        if (reading.origin != VersionOrigin::kForeign) continue;  // kt wrote it meanwhile
        doc.ahead = reading.ahead;
        report_.foreign.push_back(std::move(doc));
    }
    maybe_ahead_.clear();
    for (const auto& [id, expected] : rows_) {
        if (!expected.seen) report_.missing.push_back(id);
    }
    rows_.clear();
    sort_ids(report_.missing);
    sort_ids(report_.extra);
    sort_ids(report_.stale);
    std::sort(report_.foreign.begin(), report_.foreign.end(),
              [](const ForeignDocument& a, const ForeignDocument& b) {
                  return id_less(a.id, b.id);
              });
    return std::move(report_);
}

void sort_ids(std::vector<std::string>& ids) {
    std::sort(ids.begin(), ids.end(), id_less);
}

}  // namespace kt::workers
