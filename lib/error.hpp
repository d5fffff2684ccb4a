#pragma once

#include <stdexcept>
#include <string>

namespace kt {

/// Root of every failure kt throws; `retryable()` tells the worker loop whether waiting helps.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& what, bool retryable = false)
        : std::runtime_error(what), retryable_(retryable) {}

    /// True when the same operation may succeed later (a dropped connection, a busy server).
    [[nodiscard]] bool retryable() const noexcept { return retryable_; }

private:
    bool retryable_;
};

/// A failure talking to a service that is expected to come back (network, restart, overload).
class TransientError : public Error {
public:
    explicit TransientError(const std::string& what) : Error(what, true) {}
};

/// Elasticsearch answered with an error: carries the HTTP status and the ES error type.
class EsError : public Error {
public:
    EsError(const std::string& what, int status, std::string type);

    /// HTTP status of the response, 0 when no response arrived.
    [[nodiscard]] int status() const noexcept { return status_; }
    /// Elasticsearch `error.type`, e.g. `index_not_found_exception`; empty when none.
    [[nodiscard]] const std::string& type() const noexcept { return type_; }

private:
    int status_;
    std::string type_;
};

}  // namespace kt
