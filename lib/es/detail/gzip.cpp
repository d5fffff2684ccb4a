#include "lib/es/detail/gzip.hpp"

#include <zlib.h>

#include <memory>

#include "lib/error.hpp"

namespace kt::es::detail {

namespace {

constexpr int kGzipWindowBits = 15 + 16;  // max window, gzip header instead of zlib's
constexpr int kMemLevel = 8;

struct DeflateEnd {
    void operator()(z_stream* s) const noexcept { deflateEnd(s); }
};
struct InflateEnd {
    void operator()(z_stream* s) const noexcept { inflateEnd(s); }
};

}  // namespace

std::string gzip_compress(std::string_view data, int level) {
    z_stream stream{};
    if (deflateInit2(&stream, level, Z_DEFLATED, kGzipWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        throw Error("gzip: deflateInit2 failed");
    }
    const std::unique_ptr<z_stream, DeflateEnd> guard(&stream);
    std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
    // zlib's API is not const-correct; it never writes through next_in.
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END) throw Error("gzip: deflate failed");
    out.resize(stream.total_out);
    return out;
}

std::string gzip_decompress(std::string_view data) {
    z_stream stream{};
    if (inflateInit2(&stream, kGzipWindowBits) != Z_OK) throw Error("gzip: inflateInit2 failed");
    const std::unique_ptr<z_stream, InflateEnd> guard(&stream);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buffer[16384];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer);
        stream.avail_out = sizeof buffer;
        rc = inflate(&stream, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) throw Error("gzip: invalid compressed data");
        out.append(buffer, sizeof buffer - stream.avail_out);
        if (rc == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
            throw Error("gzip: truncated compressed data");
        }
    }
    return out;
}

}  // namespace kt::es::detail
