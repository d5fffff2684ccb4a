#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lib/pg/error.hpp"

/// PostgreSQL's built-in logical decoding output plugin `pgoutput`, protocol versions 1 and 2
/// (https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html): the messages
/// as plain structs, and a pure decoder from their bytes. No I/O.
namespace kt::pg::pgoutput {

/// A WAL position. Printed as PostgreSQL does: `16/B374D848`.
struct Lsn {
    std::uint64_t value = 0;

    friend auto operator<=>(const Lsn&, const Lsn&) = default;
};
/// `X/Y` in hex, as pg_lsn prints it.
[[nodiscard]] std::string to_string(Lsn lsn);
/// Parses `X/Y`; throws ProtocolError naming the text when it is not one.
[[nodiscard]] Lsn parse_lsn(std::string_view text);

/// Bytes that are not a message of the protocol: says which message and what is wrong.
class ProtocolError : public PgError {
public:
    explicit ProtocolError(const std::string& what) : PgError(what, {}, false) {}
};

/// One column's value in a row image.
struct Value {
    enum class Kind : char {
        kNull = 'n',       ///< SQL NULL
        kUnchanged = 'u',  ///< an unchanged TOASTed value, not sent (UPDATE only)
        kText = 't',       ///< text format, in `data`
        kBinary = 'b',     ///< binary format (the `binary` option), in `data`
    };
    Kind kind = Kind::kNull;
    std::string data;

    friend bool operator==(const Value&, const Value&) = default;
};

/// A row image: one value per column of the relation, in the relation's column order.
using Tuple = std::vector<Value>;

/// 'B': a transaction starts. Its changes and its Commit follow.
struct Begin {
    Lsn final_lsn;            ///< the commit record's LSN
    std::int64_t commit_time; ///< microseconds since 2000-01-01 UTC
    std::uint32_t xid;
};
/// 'C': the transaction committed.
struct Commit {
    std::uint8_t flags;
    Lsn commit_lsn;
    Lsn end_lsn;  ///< the end of the commit record: what to confirm once the change is handled
    std::int64_t commit_time;
};
/// 'O': the transaction was replayed from another origin.
struct Origin {
    Lsn lsn;  ///< the commit's LSN on the origin server
    std::string name;
};
/// One column of a Relation.
struct Column {
    bool key = false;  ///< part of the replica identity
    std::string name;
    std::uint32_t type_oid = 0;
    std::int32_t type_modifier = -1;
};
/// 'R': describes a table before its first change in the session (and after it changes).
struct Relation {
    std::optional<std::uint32_t> xid;  ///< the streamed transaction (protocol 2, in a stream)
    std::uint32_t oid = 0;
    std::string schema;  ///< empty for pg_catalog
    std::string name;
    /// REPLICA IDENTITY: 'd' default (primary key), 'n' nothing, 'f' full, 'i' index.
    char replica_identity = 'd';
    std::vector<Column> columns;
};
/// 'Y': a type of the user's own (built-in types are never described).
struct Type {
    std::optional<std::uint32_t> xid;
    std::uint32_t oid = 0;
    std::string schema;
    std::string name;
};
/// 'I': a row inserted.
struct Insert {
    std::optional<std::uint32_t> xid;
    std::uint32_t relation = 0;
    Tuple row;
};
/// How much of the old row an Update or Delete carries.
enum class OldRow : char {
    kNone = 0,     ///< none (an UPDATE that changed no key column, default replica identity)
    kKey = 'K',    ///< the old key columns only, others NULL
    kFull = 'O',   ///< the whole old row (REPLICA IDENTITY FULL)
};
/// 'U': a row updated.
struct Update {
    std::optional<std::uint32_t> xid;
    std::uint32_t relation = 0;
    OldRow old_kind = OldRow::kNone;
    Tuple old_row;  ///< empty when old_kind is kNone
    Tuple row;
};
/// 'D': a row deleted.
struct Delete {
    std::optional<std::uint32_t> xid;
    std::uint32_t relation = 0;
    OldRow old_kind = OldRow::kKey;
    Tuple old_row;
};
/// 'T': tables truncated.
struct Truncate {
    std::optional<std::uint32_t> xid;
    bool cascade = false;
    bool restart_identity = false;
    std::vector<std::uint32_t> relations;
};
/// 'M': a pg_logical_emit_message() message.
struct LogicalMessage {
    std::optional<std::uint32_t> xid;
    bool transactional = false;
    Lsn lsn;
    std::string prefix;
    std::string content;
};
/// 'S' (protocol 2): a block of a large transaction's changes follows, before its commit.
struct StreamStart {
    std::uint32_t xid = 0;
    bool first_segment = false;
};
/// 'E' (protocol 2): the block ends.
struct StreamStop {};
/// 'c' (protocol 2): the streamed transaction committed.
struct StreamCommit {
    std::uint32_t xid = 0;
    std::uint8_t flags = 0;
    Lsn commit_lsn;
    Lsn end_lsn;
    std::int64_t commit_time = 0;
};
/// 'A' (protocol 2): the streamed (sub)transaction aborted; forget its changes.
struct StreamAbort {
    std::uint32_t xid = 0;
    std::uint32_t subxid = 0;  ///< equal to xid when the whole transaction aborted
};

using Message = std::variant<Begin, Commit, Origin, Relation, Type, Insert, Update, Delete,
                             Truncate, LogicalMessage, StreamStart, StreamStop, StreamCommit,
                             StreamAbort>;

/// Decodes pgoutput messages one at a time, in the order the server sent them: under protocol
/// 2 a change inside a stream block carries its transaction id, so the decoder remembers
/// whether a block is open. Throws ProtocolError on bytes that are not a whole message of the
/// protocol version given (naming the message type and what is wrong).
class Decoder {
public:
    /// `protocol_version` 1 or 2, as asked for in START_REPLICATION.
    explicit Decoder(int protocol_version = 1);

    [[nodiscard]] Message decode(std::string_view bytes);
    /// True between a StreamStart and its StreamStop.
    [[nodiscard]] bool in_stream() const noexcept { return in_stream_; }

private:
    int protocol_version_;
    bool in_stream_ = false;
};

/// The message type's name, e.g. `Begin`, for logs and errors.
[[nodiscard]] std::string_view name_of(const Message& message);

}  // namespace kt::pg::pgoutput
