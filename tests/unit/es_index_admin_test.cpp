#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/error.hpp"
#include "lib/es/index_admin.hpp"

namespace kt::es {
namespace {

using nlohmann::json;

/// Answers by (method, target) through one handler; records every request.
class FakeTransport final : public Transport {
public:
    std::function<Response(const Request&)> handler;
    std::vector<Request> requests;

    Response perform(const Request& request) override {
        requests.push_back(request);
        return handler(request);
    }
    std::string redact(std::string text) const override { return text; }
};

std::chrono::system_clock::time_point fixed_now() {
    // 2026-01-02T03:04:05.678Z
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(1767323045678LL));
}

std::string write_temp_file(const std::string& content) {
    std::string path = ::testing::TempDir() + "es_admin_mappings_" +
                       std::to_string(reinterpret_cast<std::uintptr_t>(&content)) + ".json";
    std::ofstream(path) << content;
    return path;
}

struct Admin {
    FakeTransport* fake;
    IndexAdmin admin;
    Admin() : Admin(std::make_unique<FakeTransport>()) {}
    explicit Admin(std::unique_ptr<FakeTransport> t) : fake(t.get()), admin(std::move(t)) {}
};

TEST(PhysicalIndexName, IsAliasUnderscoreUtcTimestampWithMillis) {
    EXPECT_EQ(physical_index_name("products", fixed_now()), "products_20260102030405678");
}

TEST(EnsureAlias, CreatesTimestampedIndexAndAliasWhenMissing) {
    Admin a;
    const std::string mappings =
        R"({"settings":{"number_of_shards":1},"mappings":{"dynamic":"strict"}})";
    const std::string path = write_temp_file(mappings);
    a.fake->handler = [](const Request& r) -> Response {
        if (r.method == Method::kHead) return {404, "", {}};
        return {200, R"({"acknowledged":true})", {}};
    };
    const EnsuredAlias result = a.admin.ensure_alias("products", path, fixed_now());
    std::remove(path.c_str());
    EXPECT_TRUE(result.created);
    EXPECT_EQ(result.indices, (std::vector<std::string>{"products_20260102030405678"}));
    ASSERT_EQ(a.fake->requests.size(), 4U);
    EXPECT_EQ(a.fake->requests[0].target, "/_alias/products");
    EXPECT_EQ(a.fake->requests[1].target, "/products");
    EXPECT_EQ(a.fake->requests[2].method, Method::kPut);
    EXPECT_EQ(a.fake->requests[2].target, "/products_20260102030405678");
    EXPECT_EQ(a.fake->requests[2].body, mappings);
    EXPECT_EQ(a.fake->requests[3].method, Method::kPost);
    EXPECT_EQ(a.fake->requests[3].target, "/_aliases");
    const json actions = json::parse(a.fake->requests[3].body)["actions"];
    ASSERT_EQ(actions.size(), 1U);
    EXPECT_EQ(actions[0]["add"]["index"], "products_20260102030405678");
    EXPECT_EQ(actions[0]["add"]["alias"], "products");
    EXPECT_EQ(actions[0]["add"]["is_write_index"], true);
}

TEST(EnsureAlias, ExistingAliasIsLeftAlone) {
    Admin a;
    a.fake->handler = [](const Request& r) -> Response {
        if (r.method == Method::kHead) return {200, "", {}};
        return {200, R"({"products_1":{"aliases":{"products":{}}}})", {}};
    };
    const EnsuredAlias result = a.admin.ensure_alias("products", "", fixed_now());
    EXPECT_FALSE(result.created);
    EXPECT_EQ(result.indices, (std::vector<std::string>{"products_1"}));
    for (const auto& r : a.fake->requests) {
        EXPECT_TRUE(r.method == Method::kHead || r.method == Method::kGet);
    }
}

TEST(EnsureAlias, IndexWithTheAliasNameIsAClearError) {
    Admin a;
    a.fake->handler = [](const Request& r) -> Response {
        if (r.target == "/_alias/products") return {404, "", {}};
        return {200, "", {}};  // HEAD /products: a concrete index
    };
    try {
        (void)a.admin.ensure_alias("products", "", fixed_now());
        FAIL() << "expected EsError";
    } catch (const kt::EsError& e) {
        EXPECT_NE(std::string(e.what()).find("an index named products exists"), std::string::npos);
        EXPECT_FALSE(e.retryable());
    }
    EXPECT_EQ(a.fake->requests.size(), 3U);
}

TEST(EnsureAlias, AliasCreatedBetweenTheChecksIsTakenNotAnError) {
    // Two indexers start at once: the alias is missing at the first check, and HEAD /products
    // then finds the alias the other one just created.
    Admin a;
    int alias_checks = 0;
    a.fake->handler = [&alias_checks](const Request& r) -> Response {
        if (r.method == Method::kHead && r.target == "/_alias/products") {
            return {++alias_checks == 1 ? 404 : 200, "", {}};
        }
        if (r.method == Method::kHead) return {200, "", {}};
        if (r.method == Method::kGet && r.target == "/_alias/products") {
            return {200, R"({"products_20260102030405000":{"aliases":{"products":{}}}})", {}};
        }
        ADD_FAILURE() << "unexpected request " << r.target;
        return {500, "", {}};
    };
    const EnsuredAlias result = a.admin.ensure_alias("products", "", fixed_now());
    EXPECT_FALSE(result.created);
    EXPECT_EQ(result.indices, (std::vector<std::string>{"products_20260102030405000"}));
    for (const auto& r : a.fake->requests) EXPECT_NE(r.method, Method::kPut) << r.target;
}

TEST(EnsureAlias, SamePhysicalNameCreatedByAnotherProcessIsShared) {
    // Two indexers start in the same millisecond: the other one's PUT of the physical index came
    // first, so ours is refused as existing; both point the alias at that one index.
    Admin a;
    std::vector<std::string> alias_bodies;
    a.fake->handler = [&alias_bodies](const Request& r) -> Response {
        if (r.method == Method::kHead) return {404, "", {}};
        if (r.method == Method::kPut) {
            return {400,
                    R"({"error":{"type":"resource_already_exists_exception","reason":"index )"
                    R"([products_20260102030405678/x] already exists"},"status":400})",
                    {}};
        }
        if (r.target == "/_aliases") {
            alias_bodies.push_back(r.body);
            return {200, R"({"acknowledged":true})", {}};
        }
        ADD_FAILURE() << "unexpected request " << r.target;
        return {500, "", {}};
    };
    const EnsuredAlias result = a.admin.ensure_alias("products", "", fixed_now());
    EXPECT_FALSE(result.created);
    EXPECT_EQ(result.indices, (std::vector<std::string>{"products_20260102030405678"}));
    ASSERT_EQ(alias_bodies.size(), 1U);
    EXPECT_NE(alias_bodies[0].find("\"products_20260102030405678\""), std::string::npos)
        << alias_bodies[0];
    for (const auto& r : a.fake->requests) EXPECT_NE(r.method, Method::kDelete) << r.target;
}

TEST(EnsureAlias, OtherCreateErrorsAreRaised) {
    Admin a;
    a.fake->handler = [](const Request& r) -> Response {
        if (r.method == Method::kHead) return {404, "", {}};
        if (r.method == Method::kPut) {
            return {400,
                    R"({"error":{"type":"mapper_parsing_exception","reason":"bad mapping"},)"
                    R"("status":400})",
                    {}};
        }
        ADD_FAILURE() << "unexpected request " << r.target;
        return {500, "", {}};
    };
    EXPECT_THROW((void)a.admin.ensure_alias("products", "", fixed_now()), kt::EsError);
}

TEST(EnsureAlias, ConcurrentCreatorWinsAndOurIndexIsDropped) {
    Admin a;
    bool alias_added = false;
    a.fake->handler = [&alias_added](const Request& r) -> Response {
        if (r.method == Method::kHead) return {404, "", {}};
        if (r.target == "/_aliases") {
            alias_added = true;  // the other process was faster
            return {
                400,
                R"({"error":{"type":"illegal_state_exception","reason":"more than one write index"}})",
                {}};
        }
        if (r.method == Method::kGet && alias_added) {
            return {200, R"({"products_20260102030405000":{"aliases":{"products":{}}}})", {}};
        }
        return {200, R"({"acknowledged":true})", {}};
    };
    const EnsuredAlias result = a.admin.ensure_alias("products", "", fixed_now());
    EXPECT_FALSE(result.created);
    EXPECT_EQ(result.indices, (std::vector<std::string>{"products_20260102030405000"}));
    EXPECT_EQ(a.fake->requests.back().method, Method::kDelete);
    EXPECT_EQ(a.fake->requests.back().target, "/products_20260102030405678");
}

TEST(EnsureAlias, UnreadableOrInvalidMappingsFileThrowsBeforeCreating) {
    Admin a;
    a.fake->handler = [](const Request&) -> Response { return {404, "", {}}; };
    EXPECT_THROW((void)a.admin.ensure_alias("p", "/nonexistent/dir/m.json", fixed_now()),
                 kt::Error);
    const std::string path = write_temp_file("[1,2]");
    EXPECT_THROW((void)a.admin.ensure_alias("p", path, fixed_now()), kt::Error);
    std::remove(path.c_str());
    for (const auto& r : a.fake->requests) EXPECT_EQ(r.method, Method::kHead);
}

TEST(IndexAdmin, IndicesOfMissingAliasIsEmpty) {
    Admin a;
    a.fake->handler = [](const Request&) -> Response {
        return {404, R"({"error":"alias [x] missing","status":404})", {}};
    };
    EXPECT_TRUE(a.admin.indices_of_alias("x").empty());
}

TEST(IndexAdmin, UpdateAliasesIsOneAtomicCall) {
    Admin a;
    a.fake->handler = [](const Request&) -> Response { return {200, "{}", {}}; };
    const std::vector<AliasAction> actions{
        {AliasAction::Kind::kRemove, "p_1", "p", {}},
        {AliasAction::Kind::kAdd, "p_2", "p", true},
        {AliasAction::Kind::kRemoveIndex, "p_1", "", {}},
    };
    a.admin.update_aliases(actions);
    ASSERT_EQ(a.fake->requests.size(), 1U);
    const json body = json::parse(a.fake->requests[0].body);
    EXPECT_EQ(body["actions"][0]["remove"]["index"], "p_1");
    EXPECT_EQ(body["actions"][1]["add"]["is_write_index"], true);
    EXPECT_EQ(body["actions"][2]["remove_index"]["index"], "p_1");
}

TEST(IndexAdmin, CountRootAndErrors) {
    Admin a;
    a.fake->handler = [](const Request& r) -> Response {
        if (r.target == "/p/_count") return {200, R"({"count":42,"_shards":{}})", {}};
        if (r.target == "/") {
            return {200, R"({"name":"n","cluster_name":"c","version":{"number":"8.13.0"}})", {}};
        }
        if (r.target == "/gone") return {404, "{}", {}};
        return {503, R"({"error":{"type":"cluster_block_exception","reason":"blocked"}})", {}};
    };
    EXPECT_EQ(a.admin.count("p"), 42U);
    const ServerInfo info = a.admin.root();
    EXPECT_EQ(info.cluster_name, "c");
    EXPECT_EQ(info.version, "8.13.0");
    EXPECT_FALSE(a.admin.delete_index("gone"));
    try {
        a.admin.refresh("busy");
        FAIL() << "expected EsError";
    } catch (const kt::EsError& e) {
        EXPECT_EQ(e.status(), 503);
        EXPECT_EQ(e.type(), "cluster_block_exception");
        EXPECT_TRUE(e.retryable());
    }
}

}  // namespace
}  // namespace kt::es
