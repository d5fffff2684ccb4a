#include "lib/es/bulk_body.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "lib/error.hpp"

namespace kt::es {

namespace {

bool needs_escape(char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

void append_source(std::string& out, std::string_view source) {
    if (std::memchr(source.data(), '\n', source.size()) == nullptr &&
        std::memchr(source.data(), '\r', source.size()) == nullptr) {
        out.append(source);
        return;
    }
    const std::size_t start = out.size();
    out.append(source);
    std::replace_if(
        out.begin() + static_cast<std::ptrdiff_t>(start), out.end(),
        [](char c) { return c == '\n' || c == '\r'; }, ' ');
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
    if (std::none_of(text.begin(), text.end(), needs_escape)) {
        out.append(text);
        return;
    }
    constexpr std::string_view kHex = "0123456789abcdef";
    for (const char c : text) {
        switch (c) {
            case '"':
                out.append("\\\"");
                break;
            case '\\':
                out.append("\\\\");
                break;
            case '\n':
                out.append("\\n");
                break;
            case '\r':
                out.append("\\r");
                break;
            case '\t':
                out.append("\\t");
                break;
            case '\b':
                out.append("\\b");
                break;
            case '\f':
                out.append("\\f");
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    const auto u = static_cast<unsigned char>(c);
                    out.append("\\u00");
                    out.push_back(kHex[u >> 4U]);
                    out.push_back(kHex[u & 0xFU]);
                } else {
                    out.push_back(c);
                }
        }
    }
}

std::string build_bulk_body(std::span<const BulkAction> actions) {
    std::size_t size = 0;
    for (const auto& action : actions) size += 80 + action.id.size() + action.source.size();
    std::string out;
    out.reserve(size);
    for (const auto& action : actions) {
        const bool index = action.op == BulkAction::Op::kIndex;
        if (index && action.source.empty()) {
            throw Error(fmt::format("bulk index action for id of length {} has an empty source",
                                    action.id.size()));
        }
        out.append(index ? R"({"index":{"_id":")" : R"({"delete":{"_id":")");
        append_json_escaped(out, action.id);
        out.push_back('"');
        if (action.version) {
            out.append(R"(,"version":)");
            fmt::format_to(std::back_inserter(out), "{}", *action.version);
            out.append(R"(,"version_type":"external_gte")");
        }
        out.append("}}\n");
        if (index) {
            append_source(out, action.source);
            out.push_back('\n');
        }
    }
    return out;
}

}  // namespace kt::es
