// The pgoutput decoder on real bytes: tests/unit/data/pgoutput_v*.hex were captured from
// PostgreSQL 15 by tests/unit/data/capture_pgoutput.sh (see there for the changes made).
#include "lib/pg/pgoutput.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/pgoutput_capture.hpp"

namespace kt::pg::pgoutput {
namespace {

using Captured = test::CapturedMessage;

std::vector<Captured> read_capture(const std::string& name) {
    return test::read_pgoutput_capture(name);
}

std::vector<Message> decode_all(const std::string& name, int version) {
    Decoder decoder(version);
    std::vector<Message> out;
    for (const auto& captured : read_capture(name)) out.push_back(decoder.decode(captured.bytes));
    return out;
}

template <typename T>
std::vector<T> all_of(const std::vector<Message>& messages) {
    std::vector<T> out;
    for (const auto& m : messages) {
        if (const auto* t = std::get_if<T>(&m)) out.push_back(*t);
    }
    return out;
}

Value text(std::string data) { return Value{Value::Kind::kText, std::move(data)}; }
const Value kNull{Value::Kind::kNull, {}};

const Relation& relation_named(const std::vector<Message>& messages, const std::string& name) {
    static std::vector<Relation> kept;
    kept = all_of<Relation>(messages);
    for (const auto& r : kept) {
        if (r.name == name) return r;
    }
    throw std::runtime_error("no relation " + name);
}

TEST(PgOutput, EveryCapturedMessageDecodesAndTransactionsPairUp) {
    for (const auto& [file, version] :
         std::vector<std::pair<std::string, int>>{{"pgoutput_v1.hex", 1}, {"pgoutput_v2.hex", 2}}) {
        const auto messages = decode_all(file, version);
        ASSERT_GT(messages.size(), 30U) << file;
        const auto begins = all_of<Begin>(messages);
        const auto commits = all_of<Commit>(messages);
        ASSERT_EQ(begins.size(), commits.size()) << file;
        ASSERT_GE(begins.size(), 6U) << file;
        for (std::size_t i = 0; i < begins.size(); ++i) {
            EXPECT_EQ(begins[i].final_lsn, commits[i].commit_lsn) << file << " transaction " << i;
            EXPECT_GT(commits[i].end_lsn, commits[i].commit_lsn);
            EXPECT_EQ(begins[i].commit_time, commits[i].commit_time);
            EXPECT_GT(begins[i].xid, 0U);
            if (i > 0) {
                EXPECT_GT(begins[i].final_lsn, begins[i - 1].final_lsn);
            }
        }
    }
}

TEST(PgOutput, RelationDescribesColumnsTypesAndKey) {
    const auto messages = decode_all("pgoutput_v1.hex", 1);
    const Relation& item = relation_named(messages, "kt_capture_item");
    EXPECT_EQ(item.schema, "public");
    EXPECT_EQ(item.replica_identity, 'd');
    ASSERT_EQ(item.columns.size(), 6U);
    EXPECT_EQ(item.columns[0].name, "id");
    EXPECT_TRUE(item.columns[0].key);
    EXPECT_EQ(item.columns[0].type_oid, 20U);  // bigint
    EXPECT_FALSE(item.columns[1].key);
    EXPECT_EQ(item.columns[1].type_oid, 25U);  // text
    EXPECT_EQ(item.columns[2].name, "price");
    EXPECT_EQ(item.columns[2].type_oid, 1700U);  // numeric(10, 2)
    EXPECT_EQ(item.columns[2].type_modifier, (10 << 16 | 2) + 4);
    EXPECT_EQ(item.columns[3].type_oid, 1009U);  // text[]
    EXPECT_EQ(item.columns[5].type_oid, 1184U);  // timestamptz
    EXPECT_EQ(item.columns[1].type_modifier, -1);

    const Relation& odd = relation_named(messages, "kt capture \"Odd\" Name");
    EXPECT_EQ(odd.replica_identity, 'f');
    ASSERT_EQ(odd.columns.size(), 3U);
    EXPECT_EQ(odd.columns[1].name, "väl ue");
    // The type is described before each Relation message that uses it.
    const auto types = all_of<Type>(messages);
    ASSERT_GE(types.size(), 1U);
    for (const auto& type : types) {
        EXPECT_EQ(type.name, "kt_capture_mood");
        EXPECT_EQ(type.schema, "public");
        EXPECT_EQ(odd.columns[2].type_oid, type.oid);
    }
}

TEST(PgOutput, InsertCarriesTextValuesNullsAndToastedValues) {
    const auto messages = decode_all("pgoutput_v1.hex", 1);
    const auto inserts = all_of<Insert>(messages);
    ASSERT_GE(inserts.size(), 2U);
    EXPECT_EQ(inserts[0].relation, relation_named(messages, "kt_capture_item").oid);
    const Tuple& desk = inserts[0].row;
    ASSERT_EQ(desk.size(), 6U);
    EXPECT_EQ(desk[0], text("1"));
    EXPECT_EQ(desk[1], text("Desk"));
    EXPECT_EQ(desk[2], text("249.50"));
    EXPECT_EQ(desk[3], text("{oak,\"large desk\"}"));
    EXPECT_EQ(desk[4], text(std::string(3000, 'x')));
    EXPECT_EQ(desk[5].data.substr(0, 19), "2026-01-02 03:04:05");
    const Tuple& second = inserts[1].row;
    EXPECT_EQ(second[1], kNull);
    EXPECT_EQ(second[5], kNull);
    EXPECT_EQ(second[3], text("{}"));
}

TEST(PgOutput, UpdateMarksAnUnchangedToastedValueAndCarriesTheOldKeyOnAKeyChange) {
    const auto updates = all_of<Update>(decode_all("pgoutput_v1.hex", 1));
    ASSERT_GE(updates.size(), 3U);
    // The title changed, the id did not: no old row; the body was not sent.
    EXPECT_EQ(updates[0].old_kind, OldRow::kNone);
    EXPECT_TRUE(updates[0].old_row.empty());
    EXPECT_EQ(updates[0].row[1], text("Desk, oak"));
    EXPECT_EQ(updates[0].row[4].kind, Value::Kind::kUnchanged);
    // The key changed: the old key, other columns NULL.
    EXPECT_EQ(updates[1].old_kind, OldRow::kKey);
    ASSERT_EQ(updates[1].old_row.size(), 6U);
    EXPECT_EQ(updates[1].old_row[0], text("2"));
    EXPECT_EQ(updates[1].old_row[2], kNull);
    EXPECT_EQ(updates[1].row[0], text("3"));
    // Replica identity full: the whole old row.
    EXPECT_EQ(updates[2].old_kind, OldRow::kFull);
    EXPECT_EQ(updates[2].old_row, (Tuple{text("7"), text("a"), text("calm")}));
    EXPECT_EQ(updates[2].row, (Tuple{text("7"), text("b"), text("calm")}));
}

TEST(PgOutput, DeleteCarriesTheOldKeyOrTheWholeOldRow) {
    const auto deletes = all_of<Delete>(decode_all("pgoutput_v1.hex", 1));
    ASSERT_EQ(deletes.size(), 2U);
    EXPECT_EQ(deletes[0].old_kind, OldRow::kKey);
    EXPECT_EQ(deletes[0].old_row[0], text("3"));
    EXPECT_EQ(deletes[0].old_row[1], kNull);
    EXPECT_EQ(deletes[1].old_kind, OldRow::kFull);
    EXPECT_EQ(deletes[1].old_row, (Tuple{text("7"), text("b"), text("calm")}));
}

TEST(PgOutput, TruncateOriginAndLogicalMessages) {
    const auto messages = decode_all("pgoutput_v1.hex", 1);
    const auto truncates = all_of<Truncate>(messages);
    ASSERT_EQ(truncates.size(), 1U);
    EXPECT_TRUE(truncates[0].cascade);
    EXPECT_TRUE(truncates[0].restart_identity);
    EXPECT_EQ(truncates[0].relations,
              (std::vector<std::uint32_t>{relation_named(messages, "kt_capture_item").oid,
                                          relation_named(messages, "kt capture \"Odd\" Name").oid}));

    const auto origins = all_of<Origin>(messages);
    ASSERT_EQ(origins.size(), 1U);
    EXPECT_EQ(origins[0].name, "kt_capture_origin");

    const auto logical = all_of<LogicalMessage>(messages);
    ASSERT_EQ(logical.size(), 2U);
    EXPECT_TRUE(logical[0].transactional);
    EXPECT_EQ(logical[0].prefix, "kt.test");
    EXPECT_EQ(logical[0].content, "hello");
    EXPECT_FALSE(logical[1].transactional);
    EXPECT_EQ(logical[1].content, "now");
    // A non-transactional message stands outside any transaction.
    bool open = false;
    for (const auto& m : messages) {
        if (std::holds_alternative<Begin>(m)) open = true;
        if (std::holds_alternative<Commit>(m)) open = false;
        const auto* lm = std::get_if<LogicalMessage>(&m);
        if (lm != nullptr) {
            EXPECT_EQ(open, lm->transactional) << lm->content;
        }
    }
}

TEST(PgOutput, ProtocolTwoStreamsALargeTransactionInBlocksThatCarryItsXid) {
    Decoder decoder(2);
    std::vector<Message> messages;
    std::vector<bool> in_stream;
    for (const auto& captured : read_capture("pgoutput_v2.hex")) {
        messages.push_back(decoder.decode(captured.bytes));
        in_stream.push_back(decoder.in_stream());
    }
    const auto starts = all_of<StreamStart>(messages);
    ASSERT_GE(starts.size(), 2U);
    EXPECT_TRUE(starts[0].first_segment);
    EXPECT_FALSE(starts[1].first_segment);
    EXPECT_EQ(starts[1].xid, starts[0].xid);
    EXPECT_EQ(all_of<StreamStop>(messages).size(), starts.size());
    const auto commits = all_of<StreamCommit>(messages);
    ASSERT_EQ(commits.size(), 1U);
    EXPECT_EQ(commits[0].xid, starts[0].xid);
    EXPECT_GT(commits[0].end_lsn, commits[0].commit_lsn);

    std::vector<std::string> streamed_ids;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const auto* insert = std::get_if<Insert>(&messages[i]);
        if (insert == nullptr || !insert->xid) continue;
        EXPECT_TRUE(in_stream[i]);
        EXPECT_EQ(*insert->xid, starts[0].xid);
        streamed_ids.push_back(insert->row[0].data);
    }
    ASSERT_EQ(streamed_ids.size(), 500U);
    EXPECT_EQ(streamed_ids.front(), "10");
    EXPECT_EQ(streamed_ids.back(), "509");
    // Outside a stream block the same changes carry no xid.
    const auto small = all_of<Insert>(messages);
    EXPECT_FALSE(small[0].xid.has_value());
}

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (const int v : values) out.push_back(static_cast<char>(v));
    return out;
}

TEST(PgOutput, StreamAbortNamesTheTransactionAndTheSubtransaction) {
    Decoder decoder(2);
    const auto abort = std::get<StreamAbort>(
        decoder.decode(bytes({'A', 0, 0, 2, 1, 0, 0, 2, 7})));
    EXPECT_EQ(abort.xid, 513U);
    EXPECT_EQ(abort.subxid, 519U);
}

std::string error_of(Decoder& decoder, const std::string& message) {
    try {
        (void)decoder.decode(message);
    } catch (const ProtocolError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(PgOutput, MalformedBytesAreAnErrorNamingTheMessageAndWhatIsWrong) {
    const auto captured = read_capture("pgoutput_v1.hex");
    std::string insert;
    for (const auto& c : captured) {
        if (c.bytes[0] == 'I') {
            insert = c.bytes;
            break;
        }
    }
    Decoder v1(1);
    EXPECT_NE(error_of(v1, insert.substr(0, insert.size() - 3)).find("pgoutput Insert message: "
                                                                     "ends after"),
              std::string::npos);
    EXPECT_NE(error_of(v1, insert + "z").find("1 byte(s) left over"), std::string::npos);
    EXPECT_NE(error_of(v1, "").find("empty"), std::string::npos);
    EXPECT_NE(error_of(v1, "Q").find("unknown type 0x51 under protocol 1"), std::string::npos);
    EXPECT_NE(error_of(v1, bytes({'S', 0, 0, 0, 1, 1})).find("unknown type 0x53"),
              std::string::npos);
    // A value kind the protocol does not have.
    std::string bad = bytes({'I', 0, 0, 0, 9, 'N', 0, 1, 'x'});
    EXPECT_NE(error_of(v1, bad).find("column 1 has unknown kind 0x78"), std::string::npos);
    EXPECT_NE(error_of(v1, bytes({'R', 0, 0, 0, 9, 'p'})).find("without its terminator"),
              std::string::npos);
    Decoder v2(2);
    EXPECT_NE(error_of(v2, bytes({'E'})).find("no stream block is open"), std::string::npos);
    EXPECT_THROW(Decoder(3), ProtocolError);
}

TEST(PgOutput, LsnPrintsAndParsesAsPostgresDoes) {
    EXPECT_EQ(to_string(Lsn{0x16B374D848ULL}), "16/B374D848");
    EXPECT_EQ(parse_lsn("16/B374D848").value, 0x16B374D848ULL);
    EXPECT_EQ(parse_lsn("0/0").value, 0U);
    EXPECT_THROW((void)parse_lsn("16B374D848"), ProtocolError);
    EXPECT_THROW((void)parse_lsn("1/"), ProtocolError);
    EXPECT_THROW((void)parse_lsn("x/1"), ProtocolError);
}

TEST(PgOutput, NameOfSaysTheMessageType) {
    EXPECT_EQ(name_of(Message{Begin{}}), "Begin");
    EXPECT_EQ(name_of(Message{StreamAbort{}}), "Stream Abort");
    EXPECT_EQ(name_of(Message{Insert{}}), "Insert");
}

}  // namespace
}  // namespace kt::pg::pgoutput
