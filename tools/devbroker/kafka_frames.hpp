#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kt::devbroker {

/// Kafka API keys the secure front handles itself or rewrites.
inline constexpr std::int16_t kApiMetadata = 3;
inline constexpr std::int16_t kApiFindCoordinator = 10;
inline constexpr std::int16_t kApiSaslHandshake = 17;
inline constexpr std::int16_t kApiVersions = 18;
inline constexpr std::int16_t kApiSaslAuthenticate = 36;

/// The start of a request (header v1): what the front needs to route it.
struct RequestHeader {
    std::int16_t api_key = 0;
    std::int16_t api_version = 0;
    std::int32_t correlation_id = 0;
    std::size_t body_offset = 0;  ///< where the body starts (header v1, no tagged fields)
};

/// Parses the header of a request frame (without its 4-byte size); nullopt when truncated.
[[nodiscard]] std::optional<RequestHeader> parse_request_header(std::string_view frame);

/// The mechanism named by a SaslHandshake request body; nullopt when malformed.
[[nodiscard]] std::optional<std::string> sasl_handshake_mechanism(std::string_view body);
/// The auth_bytes of a SaslAuthenticate v0/v1 request body; nullopt when malformed.
[[nodiscard]] std::optional<std::string> sasl_authenticate_bytes(std::string_view body);
/// True when a SASL/PLAIN token (`authzid NUL user NUL password`) carries exactly `user` and
/// `password`.
[[nodiscard]] bool plain_token_matches(std::string_view token, std::string_view user,
                                       std::string_view password);

/// SaslHandshake response (v0/v1) frame without its size: `error` and the mechanism list.
[[nodiscard]] std::string sasl_handshake_response(std::int32_t correlation_id, std::int16_t error,
                                                  std::string_view mechanism);
/// SaslAuthenticate response (v0/v1) frame without its size; `message` empty means null.
[[nodiscard]] std::string sasl_authenticate_response(std::int32_t correlation_id,
                                                     std::int16_t version, std::int16_t error,
                                                     std::string_view message);

/// Rewrites a non-flexible response frame (without its size) for a request of `api_key` at
/// `version`, in place: broker ports of Metadata (v0-8) and FindCoordinator (v0-2) through
/// `ports` (ports not in the map stay); for ApiVersions (v0-2) with `add_sasl`, SaslHandshake
/// and SaslAuthenticate v0-1 are added to the list. Frames it cannot parse are left as they are;
/// returns false then.
bool rewrite_response(std::string& frame, std::int16_t api_key, std::int16_t version,
                      const std::map<int, int>& ports, bool add_sasl);

}  // namespace kt::devbroker
