#include "lib/error.hpp"

#include <utility>

namespace kt {

namespace {
bool es_status_retryable(int status) { return status == 0 || status == 429 || status >= 500; }
}  // namespace

EsError::EsError(const std::string& what, int status, std::string type)
    : Error(what, es_status_retryable(status)), status_(status), type_(std::move(type)) {}

}  // namespace kt
