#pragma once

#include <string_view>

namespace kt::http {

/// The status page served at `/`: one HTML document with its script inline (no other file,
/// no build step). It fetches `status.json` beside it every 2 s and renders one table row per
/// group and partition (`tr.partition` with `data-group` and `data-partition`; cells by class:
/// committed, end, lag, rate, ...).
[[nodiscard]] std::string_view status_page_html() noexcept;

}  // namespace kt::http
