#pragma once

#include <string>
#include <string_view>

namespace kt::es {

/// The search engine versions kt is tested with, in words (for warnings).
inline constexpr std::string_view kTestedEngines =
    "Elasticsearch 8.x, OpenSearch 2.x";

/// kt's verdict on the server that `GET /` described.
struct EngineVerdict {
    std::string product;     ///< distribution and version as people write them: "OpenSearch 2.19.6"
    bool supported = false;  ///< Elasticsearch 8.x or OpenSearch 2.x (SPEC)
    std::string warning;     ///< why not, naming product and kTestedEngines; empty when supported
};

/// Judges `version.distribution` and `version.number` of `GET /`; pure. An empty or "default"
/// distribution is Elasticsearch, "opensearch" is OpenSearch; any other distribution, and a
/// number that does not start with a numeric `major.minor`, is not supported. Pre-release
/// suffixes count as their release (8.0.0-rc2 is 8.0).
[[nodiscard]] EngineVerdict judge_engine(std::string_view distribution, std::string_view number);

}  // namespace kt::es
