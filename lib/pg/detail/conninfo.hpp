#pragma once

#include <chrono>
#include <string>
#include <string_view>

// Connection-string helpers private to lib/pg. Both libpq forms are understood: URLs
// (`postgresql://user:secret@host:5432/db?sslmode=require`) and keyword/value strings
// (`host=db user=kt password='se cret'`).
namespace kt::pg::detail {

/// True for `postgresql://` and `postgres://` URLs, false for keyword/value strings.
[[nodiscard]] bool is_url(std::string_view conninfo) noexcept;

/// The connection string with every password replaced by `***`, safe to log.
[[nodiscard]] std::string redact_url(std::string_view conninfo);

/// The password the string carries (percent-decoded for URLs); empty when there is none.
[[nodiscard]] std::string password_of(std::string_view conninfo);

/// `message` with every occurrence of the connection string's password replaced by `***`.
[[nodiscard]] std::string scrub_password(std::string message, std::string_view conninfo);

/// Appends `fallback_application_name` (used unless the string sets `application_name`) and,
/// unless the string sets one, `connect_timeout`, in the string's own syntax.
[[nodiscard]] std::string with_session_options(std::string_view conninfo,
                                               std::string_view application_name,
                                               std::chrono::seconds connect_timeout);

/// Appends `replication=database` (a walsender session that also runs SQL), in the string's own
/// syntax.
[[nodiscard]] std::string with_logical_replication(std::string_view conninfo);

}  // namespace kt::pg::detail
