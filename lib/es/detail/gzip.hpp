#pragma once

#include <string>
#include <string_view>

namespace kt::es::detail {

/// `data` as a gzip stream (zlib level `level`, 1 = fastest); throws kt::Error if zlib fails.
[[nodiscard]] std::string gzip_compress(std::string_view data, int level = 1);

/// The data of a gzip stream; throws kt::Error when `data` is not valid gzip.
[[nodiscard]] std::string gzip_decompress(std::string_view data);

}  // namespace kt::es::detail
