#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/es/transport.hpp"

namespace kt::es {

/// One action of an atomic `POST /_aliases` call.
struct AliasAction {
    enum class Kind { kAdd, kRemove, kRemoveIndex };
    Kind kind = Kind::kAdd;
    std::string index;
    std::string alias;                   ///< unused for kRemoveIndex
    std::optional<bool> is_write_index;  ///< kAdd only
};

/// What `GET /` says about the cluster.
struct ServerInfo {
    std::string name;
    std::string cluster_name;
    std::string version;       ///< `version.number`
    std::string distribution;  ///< `version.distribution` (e.g. "opensearch"); empty for ES
};

/// Result of IndexAdmin::ensure_alias.
struct EnsuredAlias {
    std::vector<std::string> indices;  ///< physical indices behind the alias, sorted
    bool created = false;              ///< this call created the physical index and the alias
};

/// `<alias>_<UTC yyyymmddhhmmss><milliseconds, 3 digits>`, e.g. `products_20260102030405678`.
[[nodiscard]] std::string physical_index_name(std::string_view alias,
                                              std::chrono::system_clock::time_point now);

/// Index and alias administration. Every method throws kt::EsError for an error answer
/// (retryable for 429/5xx) and kt::TransientError when no answer arrived. Not thread-safe.
class IndexAdmin {
public:
    /// Takes ownership of `transport`.
    explicit IndexAdmin(std::unique_ptr<Transport> transport);

    /// `GET /`: cluster name and version (for `kt check` and readiness).
    ServerInfo root();
    /// True when an alias `name` exists.
    bool alias_exists(std::string_view name);
    /// True when an index, alias or data stream `name` exists.
    bool exists(std::string_view name);
    /// Physical indices the alias points at, sorted; empty when there is no such alias.
    std::vector<std::string> indices_of_alias(std::string_view name);
    /// `PUT /<physical_name>` with `settings_and_mappings_json` (`{"settings":…,"mappings":…}`).
    void create_index(std::string_view physical_name, std::string_view settings_and_mappings_json);
    /// Makes sure `alias` exists: when it does not, creates `physical_index_name(alias, now)`
    /// from the JSON file `mappings_file_path` (empty path: default settings) and adds the
    /// alias as its write index in one `_aliases` call. A concurrent creator loses cleanly
    /// (its index is dropped). Throws EsError when an index named `alias` exists, kt::Error
    /// when the file cannot be read or is not a JSON object.
    EnsuredAlias ensure_alias(std::string_view alias, const std::string& mappings_file_path,
                              std::chrono::system_clock::time_point now);
    /// Applies `actions` atomically in one `POST /_aliases`.
    void update_aliases(std::span<const AliasAction> actions);
    /// `PUT /<index>/_settings` with `settings_json`.
    void put_settings(std::string_view index, std::string_view settings_json);
    /// `POST /<index>/_refresh`.
    void refresh(std::string_view index);
    /// `DELETE /<index>`; false when it did not exist.
    bool delete_index(std::string_view index);
    /// `GET /<index>/_count`.
    std::uint64_t count(std::string_view index);
    /// The transport requests go through.
    [[nodiscard]] Transport& transport() noexcept { return *transport_; }

private:
    Response call(Method method, std::string target, std::string body = {});
    Response checked(Method method, std::string target, std::string body = {});

    std::unique_ptr<Transport> transport_;
};

}  // namespace kt::es
