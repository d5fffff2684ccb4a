#include "lib/pg/pgoutput.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstddef>

namespace kt::pg::pgoutput {
namespace {

/// Reads big-endian integers and C strings from one message; every shortfall is a
/// ProtocolError naming the message.
class Reader {
public:
    Reader(std::string_view bytes, std::string_view what) : bytes_(bytes), what_(what) {}

    std::uint64_t unsigned_of(std::size_t width) {
        need(width);
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < width; ++i) {
            value = (value << 8U) | static_cast<unsigned char>(bytes_[pos_ + i]);
        }
        pos_ += width;
        return value;
    }
    std::uint8_t u8() { return static_cast<std::uint8_t>(unsigned_of(1)); }
    std::uint16_t u16() { return static_cast<std::uint16_t>(unsigned_of(2)); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(unsigned_of(4)); }
    std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
    std::int64_t i64() { return static_cast<std::int64_t>(unsigned_of(8)); }
    Lsn lsn() { return Lsn{unsigned_of(8)}; }
    char byte() { return static_cast<char>(u8()); }

    std::string string() {
        const auto end = bytes_.find('\0', pos_);
        if (end == std::string_view::npos) fail("a name runs to the end without its terminator");
        std::string value(bytes_.substr(pos_, end - pos_));
        pos_ = end + 1;
        return value;
    }
    std::string bytes(std::size_t n) {
        need(n);
        std::string value(bytes_.substr(pos_, n));
        pos_ += n;
        return value;
    }
    void finish() const {
        if (pos_ != bytes_.size()) {
            fail(fmt::format("{} byte(s) left over after the message", bytes_.size() - pos_));
        }
    }
    [[noreturn]] void fail(std::string_view problem) const {
        throw ProtocolError(fmt::format("pgoutput {} message: {} (at byte {} of {})", what_,
                                        problem, pos_, bytes_.size()));
    }

private:
    void need(std::size_t n) const {
        if (bytes_.size() - pos_ < n) {
            fail(fmt::format("ends after {} byte(s), {} more needed", bytes_.size(), n));
        }
    }

    std::string_view bytes_;
    std::string_view what_;
    std::size_t pos_ = 1;  // past the type byte
};

Tuple read_tuple(Reader& in) {
    const std::uint16_t count = in.u16();
    Tuple row;
    row.reserve(count);
    for (std::uint16_t i = 0; i < count; ++i) {
        Value value;
        const char kind = in.byte();
        switch (kind) {
            case 'n':
            case 'u':
                value.kind = static_cast<Value::Kind>(kind);
                break;
            case 't':
            case 'b':
                value.kind = static_cast<Value::Kind>(kind);
                value.data = in.bytes(in.u32());
                break;
            default:
                in.fail(fmt::format("column {} has unknown kind {:#04x}", i + 1, kind));
        }
        row.push_back(std::move(value));
    }
    return row;
}

/// The 'N' / 'K' / 'O' tag before a row image.
char read_tag(Reader& in, std::string_view allowed) {
    const char tag = in.byte();
    if (allowed.find(tag) == std::string_view::npos) {
        in.fail(fmt::format("expected one of '{}' before a row, got {:#04x}", allowed, tag));
    }
    return tag;
}

Relation read_relation(Reader& in, std::optional<std::uint32_t> xid) {
    Relation relation;
    relation.xid = xid;
    relation.oid = in.u32();
    relation.schema = in.string();
    relation.name = in.string();
    relation.replica_identity = in.byte();
    const std::uint16_t count = in.u16();
    relation.columns.reserve(count);
    for (std::uint16_t i = 0; i < count; ++i) {
        Column column;
        column.key = (in.u8() & 1U) != 0;
        column.name = in.string();
        column.type_oid = in.u32();
        column.type_modifier = in.i32();
        relation.columns.push_back(std::move(column));
    }
    return relation;
}

Update read_update(Reader& in, std::optional<std::uint32_t> xid) {
    Update update;
    update.xid = xid;
    update.relation = in.u32();
    char tag = read_tag(in, "NKO");
    if (tag != 'N') {
        update.old_kind = static_cast<OldRow>(tag);
        update.old_row = read_tuple(in);
        tag = read_tag(in, "N");
    }
    update.row = read_tuple(in);
    return update;
}

Truncate read_truncate(Reader& in, std::optional<std::uint32_t> xid) {
    Truncate truncate;
    truncate.xid = xid;
    const std::uint32_t count = in.u32();
    const std::uint8_t options = in.u8();
    truncate.cascade = (options & 1U) != 0;
    truncate.restart_identity = (options & 2U) != 0;
    for (std::uint32_t i = 0; i < count; ++i) truncate.relations.push_back(in.u32());
    return truncate;
}

LogicalMessage read_logical_message(Reader& in, std::optional<std::uint32_t> xid) {
    LogicalMessage message;
    message.xid = xid;
    message.transactional = (in.u8() & 1U) != 0;
    message.lsn = in.lsn();
    message.prefix = in.string();
    message.content = in.bytes(in.u32());
    return message;
}

/// The messages that may stand in a stream block, where they carry the transaction id.
Message read_change(Reader& in, char type, std::optional<std::uint32_t> xid) {
    switch (type) {
        case 'R':
            return read_relation(in, xid);
        case 'Y': {
            Type t{xid, in.u32(), {}, {}};
            t.schema = in.string();
            t.name = in.string();
            return t;
        }
        case 'I': {
            Insert insert{xid, in.u32(), {}};
            read_tag(in, "N");
            insert.row = read_tuple(in);
            return insert;
        }
        case 'U':
            return read_update(in, xid);
        case 'D': {
            Delete del{xid, in.u32(), OldRow::kKey, {}};
            del.old_kind = static_cast<OldRow>(read_tag(in, "KO"));
            del.old_row = read_tuple(in);
            return del;
        }
        case 'T':
            return read_truncate(in, xid);
        default:  // 'M'
            return read_logical_message(in, xid);
    }
}

std::string_view type_name(char type) {
    switch (type) {
        case 'B': return "Begin";
        case 'C': return "Commit";
        case 'O': return "Origin";
        case 'R': return "Relation";
        case 'Y': return "Type";
        case 'I': return "Insert";
        case 'U': return "Update";
        case 'D': return "Delete";
        case 'T': return "Truncate";
        case 'M': return "Message";
        case 'S': return "Stream Start";
        case 'E': return "Stream Stop";
        case 'c': return "Stream Commit";
        case 'A': return "Stream Abort";
        default: return {};
    }
}

}  // namespace

std::string to_string(Lsn lsn) {
    return fmt::format("{:X}/{:X}", lsn.value >> 32U, lsn.value & 0xFFFFFFFFU);
}

Lsn parse_lsn(std::string_view text) {
    const auto slash = text.find('/');
    std::uint32_t high = 0;
    std::uint32_t low = 0;
    const auto parse = [](std::string_view part, std::uint32_t& out) {
        const auto* end = part.data() + part.size();
        const auto [ptr, ec] = std::from_chars(part.data(), end, out, 16);
        return !part.empty() && ec == std::errc() && ptr == end;
    };
    if (slash == std::string_view::npos || !parse(text.substr(0, slash), high) ||
        !parse(text.substr(slash + 1), low)) {
        throw ProtocolError(
            fmt::format("'{}' is not a WAL position (expected e.g. 16/B374D848)", text));
    }
    return Lsn{(std::uint64_t{high} << 32U) | low};
}

Decoder::Decoder(int protocol_version) : protocol_version_(protocol_version) {
    if (protocol_version != 1 && protocol_version != 2) {
        throw ProtocolError(fmt::format(
            "pgoutput protocol version {} is not supported (kt reads 1 and 2)", protocol_version));
    }
}

Message Decoder::decode(std::string_view bytes) {
    if (bytes.empty()) throw ProtocolError("pgoutput message: empty");
    const char type = bytes[0];
    const std::string_view what = type_name(type);
    if (what.empty() || (protocol_version_ < 2 && (type == 'S' || type == 'E' || type == 'c' ||
                                                   type == 'A'))) {
        throw ProtocolError(fmt::format("pgoutput message: unknown type {:#04x} under protocol {}",
                                        type, protocol_version_));
    }
    Reader in(bytes, what);
    Message message;
    switch (type) {
        case 'B':
            message = Begin{in.lsn(), in.i64(), in.u32()};
            break;
        case 'C':
            message = Commit{in.u8(), in.lsn(), in.lsn(), in.i64()};
            break;
        case 'O': {
            Origin origin{in.lsn(), {}};
            origin.name = in.string();
            message = std::move(origin);
            break;
        }
        case 'S':
            if (in_stream_) in.fail("a stream block starts inside another");
            message = StreamStart{in.u32(), in.u8() == 1};
            in_stream_ = true;
            break;
        case 'E':
            if (!in_stream_) in.fail("no stream block is open");
            message = StreamStop{};
            in_stream_ = false;
            break;
        case 'c':
            message = StreamCommit{in.u32(), in.u8(), in.lsn(), in.lsn(), in.i64()};
            break;
        case 'A':
            message = StreamAbort{in.u32(), in.u32()};
            break;
        default: {
            std::optional<std::uint32_t> xid;
            if (in_stream_) xid = in.u32();
            message = read_change(in, type, xid);
        }
    }
    in.finish();
    return message;
}

std::string_view name_of(const Message& message) {
    static constexpr char kTypes[] = {'B', 'C', 'O', 'R', 'Y', 'I', 'U',
                                      'D', 'T', 'M', 'S', 'E', 'c', 'A'};
    return type_name(kTypes[message.index()]);
}

}  // namespace kt::pg::pgoutput
