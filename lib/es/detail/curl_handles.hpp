#pragma once

#include <curl/curl.h>

#include <memory>

namespace kt::es::detail {

/// Cleans up a CURL easy handle.
struct EasyDeleter {
    void operator()(CURL* p) const noexcept { curl_easy_cleanup(p); }
};
/// Frees a curl_slist.
struct SlistDeleter {
    void operator()(curl_slist* p) const noexcept { curl_slist_free_all(p); }
};

/// Owning CURL easy handle.
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
/// Owning curl_slist.
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

/// Calls curl_global_init once per process (thread-safe); throws kt::Error if it fails.
void ensure_curl_global_init();

}  // namespace kt::es::detail
