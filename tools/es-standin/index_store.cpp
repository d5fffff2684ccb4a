#include "tools/es-standin/index_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "tools/es-standin/names.hpp"

namespace kt::tools::standin {

namespace {

constexpr int64_t kDefaultMaxResultWindow = 10000;

Json dynamic_property(FieldKind kind) {
    switch (kind) {
        case FieldKind::kString:
            return Json::parse(
                R"({"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}})");
        case FieldKind::kInteger:
            return Json{{"type", "long"}};
        case FieldKind::kFloat:
            return Json{{"type", "float"}};
        case FieldKind::kBool:
            return Json{{"type", "boolean"}};
        case FieldKind::kObject:
            return Json{{"properties", Json::object()}};
        default:
            return nullptr;
    }
}

size_t key_column(const std::string& source, const std::string& key) {
    const size_t at = source.find("\"" + key + "\"");
    return at == std::string::npos ? 2 : at + 2 + key.size() + 1;
}

}  // namespace

bool merge_doc(Json& target, const Json& patch) {
    bool changed = false;
    for (const auto& [key, value] : patch.items()) {
        auto it = target.find(key);
        if (it != target.end() && it->is_object() && value.is_object()) {
            changed = merge_doc(*it, value) || changed;
        } else if (it == target.end() || *it != value) {
            target[key] = value;
            changed = true;
        }
    }
    return changed;
}

std::string random_id() {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string out(20, 'A');
    for (auto& c : out) c = kAlphabet[rng() % 64];
    return out;
}

IndexStore::IndexStore(std::string name, FlatSettings settings, Json mappings, Clock clock)
    : name_(std::move(name)),
      uuid_(random_id()),
      clock_(std::move(clock)),
      settings_(std::move(settings)),
      mappings_(mappings.is_object() ? std::move(mappings) : Json::object()),
      searchable_(std::make_shared<Snapshot>()),
      last_refresh_(clock_()) {
    settings_.try_emplace("index.number_of_shards", "1");
    settings_.try_emplace("index.number_of_replicas", "1");
    settings_["index.uuid"] = uuid_;
    settings_["index.provided_name"] = name_;
    settings_["index.creation_date"] =
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
    settings_["index.version.created"] = "8512000";
    settings_.try_emplace("index.routing.allocation.include._tier_preference", "data_content");
    refresh_interval_ = setting_time("index.refresh_interval", std::chrono::milliseconds(1000));
    gc_deletes_ = setting_time("index.gc_deletes", std::chrono::milliseconds(60000));
    load_known_fields();
}

std::chrono::milliseconds IndexStore::setting_time(const char* key,
                                                   std::chrono::milliseconds fallback) const {
    auto it = settings_.find(key);
    if (it == settings_.end() || !it->second.is_string()) return fallback;
    return parse_time_value(it->second.get<std::string>(), key);
}

void IndexStore::load_known_fields() {
    known_fields_.clear();
    last_accepted_fields_.clear();
    if (mappings_.contains("dynamic")) {
        const auto& d = mappings_["dynamic"];
        dynamic_ = d.is_string() ? d.get<std::string>() : d.dump();
    }
    if (mappings_.contains("properties") && mappings_["properties"].is_object()) {
        for (const auto& [field, spec] : mappings_["properties"].items()) {
            known_fields_.insert(field);
        }
    }
}

std::optional<VersionedState> IndexStore::current_state(const std::string& id) const {
    if (auto it = live_.find(id); it != live_.end()) {
        return VersionedState{it->second->version, it->second->seq_no, it->second->primary_term,
                              false};
    }
    if (auto it = tombstones_.find(id); it != tombstones_.end()) {
        if (tombstone_alive(it->second.deleted_at, clock_(), gc_deletes_)) {
            return VersionedState{it->second.version, it->second.seq_no, 1, true};
        }
    }
    return std::nullopt;
}

std::optional<ApiError> IndexStore::check_mapping(const std::string& source,
                                                  const SourceShape& shape) {
    if (!shape.valid) {
        return ApiError(400, "document_parsing_exception", "[1:1] failed to parse: " + shape.error);
    }
    if (!shape.is_object) {
        return ApiError(400, "document_parsing_exception",
                        "[1:1] failed to parse: Malformed content, must start with an object, "
                        "but found [" +
                            shape.first_token + "]");
    }
    if (!shape.fields.empty() && shape.fields == last_accepted_fields_) return std::nullopt;
    for (const auto& [field, kind] : shape.fields) {
        if (known_fields_.count(field)) continue;
        if (field.empty()) {
            return ApiError(400, "document_parsing_exception",
                            "[1:2] failed to parse: field name cannot be an empty string");
        }
        if (dynamic_ == "strict") {
            return ApiError(
                400, "strict_dynamic_mapping_exception",
                fmt::format("[1:{}] mapping set to strict, dynamic introduction of [{}] "
                            "within [_doc] is not allowed",
                            key_column(source, field), field));
        }
        if (dynamic_ == "true") {
            Json property = dynamic_property(kind);
            if (property.is_null()) continue;
            mappings_["properties"][field] = std::move(property);
            known_fields_.insert(field);
        }
    }
    last_accepted_fields_ = shape.fields;
    return std::nullopt;
}

WriteOutcome IndexStore::store(const std::string& id, std::string source, int64_t version,
                               bool found) {
    auto doc = std::make_shared<StoredDoc>();
    doc->id = id;
    doc->source = std::move(source);
    doc->version = version;
    doc->seq_no = next_seq_no_++;
    doc->primary_term = 1;
    live_[id] = doc;
    if (!tombstones_.empty()) tombstones_.erase(id);
    dirty_ = true;
    ++counters_.index_total;
    WriteOutcome out;
    out.result = found ? "updated" : "created";
    out.status = found ? 200 : 201;
    out.version = doc->version;
    out.seq_no = doc->seq_no;
    out.primary_term = doc->primary_term;
    out.doc = std::move(doc);
    return out;
}

namespace {

/// An error about a document of index `index` (shard 0), with the details Elasticsearch adds.
ApiError shard_error(int status, const std::string& type, const std::string& reason,
                     const std::string& index, const std::string& uuid) {
    Json extra = Json::object();
    extra["index_uuid"] = uuid;
    extra["shard"] = "0";
    extra["index"] = index;
    return ApiError(status, type, reason, extra);
}

ApiError conflict_error(const std::string& reason, const std::string& index,
                        const std::string& uuid) {
    return shard_error(409, "version_conflict_engine_exception", reason, index, uuid);
}

}  // namespace

std::optional<VersionDecision> IndexStore::decide(const std::string& id,
                                                  const WriteConditions& conditions,
                                                  WriteOutcome& out) const {
    VersionDecision decision = decide_write(conditions, id, current_state(id));
    if (decision.conflict) {
        out.error = conflict_error(*decision.conflict, name_, uuid_);
        return std::nullopt;
    }
    return decision;
}

WriteOutcome IndexStore::index(const std::string& id, std::string source, const SourceShape& shape,
                               const WriteConditions& conditions) {
    std::lock_guard lock(mutex_);
    WriteOutcome out;
    const auto decision = decide(id, conditions, out);
    if (!decision) return out;
    if (auto error = check_mapping(source, shape)) {
        out.error = shard_error(error->status(), error->type(), error->reason(), name_, uuid_);
        return out;
    }
    return store(id, std::move(source), decision->version, decision->found);
}

WriteOutcome IndexStore::remove(const std::string& id, const WriteConditions& conditions) {
    std::lock_guard lock(mutex_);
    WriteOutcome out;
    const auto decision = decide(id, conditions, out);
    if (!decision) return out;
    live_.erase(id);
    Tombstone tomb{decision->version, next_seq_no_++, clock_()};
    tombstones_[id] = tomb;
    dirty_ = true;
    if (decision->found) ++counters_.delete_total;
    out.result = decision->found ? "deleted" : "not_found";
    out.status = decision->found ? 200 : 404;
    out.version = tomb.version;
    out.seq_no = tomb.seq_no;
    out.primary_term = 1;
    return out;
}

WriteOutcome IndexStore::update(const std::string& id, const UpdateSpec& spec) {
    std::lock_guard lock(mutex_);
    WriteOutcome out;
    auto it = live_.find(id);
    if (it == live_.end()) {
        if (spec.conditions.if_seq_no) {
            out.error = conflict_error(*decide_write(spec.conditions, id, std::nullopt).conflict,
                                       name_, uuid_);
            return out;
        }
        const Json* body =
            spec.upsert ? &*spec.upsert : (spec.doc_as_upsert && spec.doc ? &*spec.doc : nullptr);
        if (body == nullptr) {
            Json extra = Json::object();
            extra["index_uuid"] = uuid_;
            extra["shard"] = "0";
            extra["index"] = name_;
            out.error = ApiError(404, "document_missing_exception",
                                 "[" + id + "]: document missing", extra);
            return out;
        }
        std::string text = body->dump();
        const SourceShape shape = inspect_source(text);
        if (auto error = check_mapping(text, shape)) {
            out.error = std::move(error);
            return out;
        }
        const auto state = current_state(id);
        return store(id, std::move(text), state ? state->version + 1 : 1, false);
    }
    const VersionDecision decision = decide_write(
        spec.conditions, id,
        VersionedState{it->second->version, it->second->seq_no, it->second->primary_term, false});
    if (decision.conflict) {
        out.error = conflict_error(*decision.conflict, name_, uuid_);
        return out;
    }
    Json merged = Json::parse(it->second->source);
    const bool changed = spec.doc ? merge_doc(merged, *spec.doc) : false;
    if (!changed && spec.detect_noop) {
        ++counters_.noop_update_total;
        out.result = "noop";
        out.status = 200;
        out.version = it->second->version;
        out.seq_no = it->second->seq_no;
        out.primary_term = it->second->primary_term;
        out.doc = it->second;
        return out;
    }
    std::string text = merged.dump();
    const SourceShape shape = inspect_source(text);
    if (auto error = check_mapping(text, shape)) {
        out.error = std::move(error);
        return out;
    }
    return store(id, std::move(text), it->second->version + 1, true);
}

DocPtr IndexStore::get(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = live_.find(id);
    return it == live_.end() ? nullptr : it->second;
}

void IndexStore::refresh() {
    std::lock_guard lock(mutex_);
    last_refresh_ = clock_();
    if (!dirty_) return;
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->reserve(live_.size());
    for (const auto& [id, doc] : live_) snapshot->push_back(doc);
    std::sort(snapshot->begin(), snapshot->end(),
              [](const DocPtr& a, const DocPtr& b) { return a->seq_no < b->seq_no; });
    searchable_ = std::move(snapshot);
    dirty_ = false;
    const auto now = clock_();
    for (auto t = tombstones_.begin(); t != tombstones_.end();) {
        t = tombstone_alive(t->second.deleted_at, now, gc_deletes_) ? std::next(t)
                                                                    : tombstones_.erase(t);
    }
}

void IndexStore::refresh_if_due() {
    {
        std::lock_guard lock(mutex_);
        if (!dirty_ || refresh_interval_.count() <= 0) return;
        if (clock_() - last_refresh_ < refresh_interval_) return;
    }
    refresh();
}

SnapshotPtr IndexStore::searchable() const {
    return locked_copy(searchable_);
}

size_t IndexStore::live_count() const {
    std::lock_guard lock(mutex_);
    return live_.size();
}

FlatSettings IndexStore::settings() const {
    return locked_copy(settings_);
}

void IndexStore::put_settings(const FlatSettings& update) {
    std::lock_guard lock(mutex_);
    for (const auto& [key, value] : update) {
        if (key == "index.number_of_shards" || key == "index.uuid" ||
            key == "index.creation_date" || key == "index.provided_name") {
            throw illegal_argument(
                fmt::format("final {} setting [{}], not updateable", "index", key));
        }
    }
    FlatSettings next = settings_;
    for (const auto& [key, value] : update) {
        if (value.is_null()) {
            next.erase(key);
        } else {
            next[key] = value;
        }
    }
    next.try_emplace("index.number_of_replicas", "1");
    auto interval = std::chrono::milliseconds(1000);
    if (auto it = next.find("index.refresh_interval"); it != next.end() && it->second.is_string()) {
        interval = parse_time_value(it->second.get<std::string>(), "index.refresh_interval");
    }
    settings_ = std::move(next);
    refresh_interval_ = interval;
}

Json IndexStore::mappings() const {
    return locked_copy(mappings_);
}

void IndexStore::put_mappings(const Json& update) {
    std::lock_guard lock(mutex_);
    if (update.contains("dynamic")) mappings_["dynamic"] = update["dynamic"];
    if (update.contains("properties") && update["properties"].is_object()) {
        for (const auto& [field, spec] : update["properties"].items()) {
            mappings_["properties"][field] = spec;
        }
    }
    load_known_fields();
}

IndexCounters IndexStore::counters() const {
    return locked_copy(counters_);
}

int IndexStore::replicas() const {
    return static_cast<int>(setting_integer("index.number_of_replicas", 1));
}

int64_t IndexStore::max_result_window() const {
    return setting_integer("index.max_result_window", kDefaultMaxResultWindow);
}

int64_t IndexStore::setting_integer(const char* key, int64_t fallback) const {
    std::lock_guard lock(mutex_);
    auto it = settings_.find(key);
    if (it == settings_.end() || !it->second.is_string()) return fallback;
    return std::atoll(it->second.get<std::string>().c_str());
}

}  // namespace kt::tools::standin
