#include "workers/capture/change_ids.hpp"

#include <gtest/gtest.h>

#include "tests/unit/pgoutput_capture.hpp"


namespace kt::workers::capture {
namespace {

namespace po = pg::pgoutput;

po::Value text(std::string v) { return {po::Value::Kind::kText, std::move(v)}; }
const po::Value kNull{po::Value::Kind::kNull, {}};
const po::Value kUnchanged{po::Value::Kind::kUnchanged, {}};

po::Relation table(std::uint32_t oid, std::string name, std::vector<std::string> columns,
                   char identity = 'd') {
    po::Relation r;
    r.oid = oid;
    r.schema = "public";
    r.name = std::move(name);
    r.replica_identity = identity;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        r.columns.push_back({i == 0, columns[i], 25, -1});
    }
    return r;
}

constexpr const char* kProducts = R"(
    SELECT p.id, jsonb_build_object('title', p.title, 'brand', b.name,
      'tags', (SELECT array_agg(t.name) FROM tags t WHERE t.product_id = p.id)) AS doc
    FROM products p LEFT JOIN brands b ON b.id = p.brand_id
    WHERE p.id = ANY($1::bigint[]))";

std::vector<IndexFeeds> products_index() {
    std::vector<IndexFeeds> out;
    out.push_back({"products", pg::query_shape(kProducts)});
    return out;
}

struct Shop {
    ChangeMapper mapper{products_index()};
    Shop() {
        mapper.relation(table(1, "products", {"id", "title", "brand_id", "stock"}));
        mapper.relation(table(2, "brands", {"id", "name", "country"}, 'f'));
        mapper.relation(table(3, "tags", {"id", "product_id", "name"}));
        mapper.relation(table(4, "audit", {"id", "what"}));
    }
};

TEST(CaptureChangeIds, ARootRowIsItsOwnIdAndAKeyChangeTouchesOldAndNew) {
    Shop shop;
    auto ids = shop.mapper.map(po::Insert{{}, 1, {text("7"), text("Desk"), text("3"), kNull}});
    EXPECT_EQ(ids.ids, (std::vector<IndexId>{{0, "7"}}));
    EXPECT_TRUE(ids.lookups.empty());
    po::Update moved{{}, 1, po::OldRow::kKey, {text("7"), kNull, kNull, kNull},
                     {text("8"), text("Desk"), text("3"), kNull}};
    EXPECT_EQ(shop.mapper.map(moved).ids, (std::vector<IndexId>{{0, "7"}, {0, "8"}}));
    po::Delete gone{{}, 1, po::OldRow::kKey, {text("8"), kNull, kNull, kNull}};
    EXPECT_EQ(shop.mapper.map(gone).ids, (std::vector<IndexId>{{0, "8"}}));
}

TEST(CaptureChangeIds, AParentRowIsLookedUpThroughTheAssociationQuery) {
    Shop shop;
    po::Update renamed{{}, 2, po::OldRow::kFull, {text("3"), text("Acme"), text("DE")},
                       {text("3"), text("ACME"), text("DE")}};
    const auto ids = shop.mapper.map(renamed);
    EXPECT_TRUE(ids.ids.empty());
    ASSERT_EQ(ids.lookups.size(), 1U);
    EXPECT_EQ(ids.lookups[0].query,
              R"(SELECT DISTINCT "p"."id" FROM "products" "p" WHERE "p"."brand_id" = ANY($1))");
    EXPECT_EQ(ids.lookups[0].values, (std::vector<std::string>{"3"}));
}

TEST(CaptureChangeIds, AnUpdateOfAColumnTheQueryDoesNotReadEmitsNothing) {
    Shop shop;
    po::Update moved_country{{}, 2, po::OldRow::kFull, {text("3"), text("Acme"), text("DE")},
                             {text("3"), text("Acme"), text("FR")}};
    const auto ids = shop.mapper.map(moved_country);
    EXPECT_TRUE(ids.ids.empty());
    EXPECT_TRUE(ids.lookups.empty());
    // Without the old row (default replica identity) it cannot tell, so it emits.
    po::Update stock{{}, 1, po::OldRow::kNone, {}, {text("7"), text("Desk"), text("3"), text("9")}};
    EXPECT_EQ(shop.mapper.map(stock).ids, (std::vector<IndexId>{{0, "7"}}));
}

TEST(CaptureChangeIds, AChildRowTouchesTheIdsItsReferenceHeldBeforeAndAfter) {
    Shop shop;
    EXPECT_EQ(shop.mapper.map(po::Insert{{}, 3, {text("1"), text("7"), text("oak")}}).ids,
              (std::vector<IndexId>{{0, "7"}}));
    po::Update moved{{}, 3, po::OldRow::kFull, {text("1"), text("7"), text("oak")},
                     {text("1"), text("9"), text("oak")}};
    EXPECT_EQ(shop.mapper.map(moved).ids, (std::vector<IndexId>{{0, "7"}, {0, "9"}}));
}

TEST(CaptureChangeIds, ADeleteWhoseOldRowLacksTheReferenceIsReportedWithTheFix) {
    Shop shop;
    const auto ids = shop.mapper.map(po::Delete{{}, 3, po::OldRow::kKey, {text("1"), kNull, kNull}});
    EXPECT_TRUE(ids.ids.empty());
    ASSERT_EQ(ids.unmapped.size(), 1U);
    EXPECT_EQ(ids.unmapped[0],
              "index products: a delete from public.tags carries no product_id (its replica "
              "identity sends the key only: ALTER TABLE \"public\".\"tags\" REPLICA IDENTITY FULL)");
}

TEST(CaptureChangeIds, AnUnchangedToastedValueIsTakenFromTheOldRow) {
    Shop shop;
    po::Update u{{}, 3, po::OldRow::kFull, {text("1"), text("7"), text("oak")},
                 {text("1"), kUnchanged, text("ash")}};
    EXPECT_EQ(shop.mapper.map(u).ids, (std::vector<IndexId>{{0, "7"}}));
}

TEST(CaptureChangeIds, TablesNoIndexReadsAndTruncates) {
    Shop shop;
    const auto ids = shop.mapper.map(po::Insert{{}, 4, {text("1"), text("x")}});
    EXPECT_TRUE(ids.ids.empty() && ids.lookups.empty() && ids.unmapped.empty());
    EXPECT_EQ(shop.mapper.truncated(po::Truncate{{}, false, false, {4}}).size(), 0U);
    EXPECT_EQ(shop.mapper.truncated(po::Truncate{{}, false, false, {4, 3}}),
              (std::vector<std::size_t>{0}));
    EXPECT_EQ(shop.mapper.table_name(3), "public.tags");
    EXPECT_EQ(shop.mapper.table_name(99), "99");
    EXPECT_THROW((void)shop.mapper.map(po::Insert{{}, 99, {}}), po::ProtocolError);
}

TEST(CaptureChangeIds, ATableMappedByHandSendsItsKeyToItsQuery) {
    std::vector<IndexFeeds> indexes = products_index();
    pg::TableFeed by_hand;
    by_hand.table = {"", "prices", "prices"};
    by_hand.kind = pg::FeedKind::kAssociation;
    by_hand.association_query = "SELECT product_id FROM prices WHERE id = ANY($1)";
    by_hand.all_columns = true;
    indexes[0].shape.feeds.push_back(by_hand);
    ChangeMapper mapper(std::move(indexes));
    po::Relation prices = table(5, "prices", {"sku", "id", "amount"});
    prices.columns[0].key = false;
    prices.columns[1].key = true;
    mapper.relation(prices);
    const auto ids = mapper.map(po::Insert{{}, 5, {text("a-1"), text("42"), text("9.50")}});
    ASSERT_EQ(ids.lookups.size(), 1U);
    EXPECT_EQ(ids.lookups[0].query, by_hand.association_query);
    EXPECT_EQ(ids.lookups[0].values, (std::vector<std::string>{"42"}));
}

TEST(CaptureChangeIds, TheCapturedChangesMapToTheRowsTheyTouched) {
    std::vector<IndexFeeds> indexes;
    indexes.push_back({"items", pg::query_shape("SELECT i.id, jsonb_build_object('t', i.title) "
                                                "AS doc FROM kt_capture_item i "
                                                "WHERE i.id = ANY($1)")});
    ChangeMapper mapper(std::move(indexes));
    po::Decoder decoder(1);
    std::vector<std::string> ids;
    for (const auto& captured : test::read_pgoutput_capture("pgoutput_v1.hex")) {
        const auto message = decoder.decode(captured.bytes);
        if (const auto* r = std::get_if<po::Relation>(&message)) mapper.relation(*r);
        for (const auto& id : mapper.map(message).ids) ids.push_back(id.id);
    }
    // Inserted 1 and 2; 1's title changed; 2 became 3; 3 deleted. The other table is not read.
    EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "1", "2", "3", "3"}));
}

}  // namespace
}  // namespace kt::workers::capture
