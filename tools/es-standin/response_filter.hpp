#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/es-standin/request.hpp"

namespace kt::tools::standin {

/// Elasticsearch's `filter_path` response filtering: comma-separated dotted paths in which `*`
/// matches any characters within one field name, `**` any number of levels, and a leading `-`
/// excludes. Arrays are transparent. With include paths, a value is kept when its path matches
/// one whole, and an object or array is kept only when something under it is (so
/// `items.*.error` leaves out the items without an error); exclusions apply after that.
class ResponseFilter {
public:
    /// Parses `spec`; an empty spec keeps everything.
    explicit ResponseFilter(std::string_view spec);

    /// The filter of the request's `filter_path` parameter, if it has one.
    static std::optional<ResponseFilter> from_params(const Params& params);

    /// The JSON text `json` filtered (minified); `{}` when nothing is left, `json` unchanged
    /// when it is not JSON.
    [[nodiscard]] std::string apply(std::string_view json) const;

    /// What of a value to write.
    enum class Keep { kNothing, kWhole, kSome };
    /// A position in the response, for answers written as text member by member (the bulk
    /// response) instead of filtered after the fact.
    /// A part reached in one pattern: index into the include or exclude patterns, part index.
    struct State {
        std::size_t pattern = 0;
        std::size_t part = 0;
    };
    struct Cursor {
        std::vector<State> include;  ///< parts reached in the include patterns
        std::vector<State> exclude;  ///< parts reached in the exclude patterns
        bool included = false;
        bool excluded = false;
    };
    /// The top of the response.
    [[nodiscard]] Cursor root() const;
    /// Member `name` of the object at `at` (an array's elements share the array's cursor).
    [[nodiscard]] Cursor child(const Cursor& at, std::string_view name) const;
    /// Whether the value at `at` is left out, written whole, or has to be filtered.
    [[nodiscard]] static Keep keep(const Cursor& at);
    /// Appends what is kept of the JSON value `json` at `at` to `out`; false when nothing is.
    bool write(const Cursor& at, std::string_view json, std::string& out) const;

private:
    struct Pattern {
        std::vector<std::string> parts;
    };
    struct Step {
        std::vector<State> include;
        std::vector<State> exclude;
        bool included = false;  ///< an include pattern matched this whole path
        bool excluded = false;  ///< an exclude pattern matched this whole path
    };

    [[nodiscard]] Step step(const std::vector<State>& include, const std::vector<State>& exclude,
                            std::string_view name) const;
    /// Appends what is kept of `value` to `out`; false (and `out` unchanged) when nothing is.
    bool filter(const simdjson::dom::element& value, const std::vector<State>& include,
                const std::vector<State>& exclude, bool included, std::string& out) const;

    std::vector<Pattern> includes_;
    std::vector<Pattern> excludes_;
};

}  // namespace kt::tools::standin
