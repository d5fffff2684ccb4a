#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "lib/app/options_from_config.hpp"
#include "lib/config/config.hpp"
#include "lib/es/bulk_client.hpp"
#include "lib/pg/row_loader.hpp"
#include "workers/common/ports.hpp"

// The real collaborators behind the interfaces of ports.hpp that lib/ has no class for.
namespace kt::workers {

/// RowSource on a pg::RowLoader.
class PgRowSource final : public RowSource {
public:
    /// Connects to `url` for `index`; throws as pg::RowLoader's constructor.
    PgRowSource(const config::IndexConfig& index, std::string url)
        : loader_(app::pg_source(index), std::move(url)) {}

    pg::LoadResult load(const std::vector<std::string>& ids) override { return loader_.load(ids); }
    void check() override { loader_.check(); }
    void advance() override { loader_.advance(); }

private:
    pg::RowLoader loader_;
};

/// BulkWriter on an es::BulkClient.
class EsBulkWriter final : public BulkWriter {
public:
    explicit EsBulkWriter(std::unique_ptr<es::BulkClient> client) : client_(std::move(client)) {}

    es::WriteResult write(std::string_view index, std::span<const es::BulkAction> actions,
                          std::stop_token stop) override {
        return client_->write(index, actions, std::move(stop));
    }

private:
    std::unique_ptr<es::BulkClient> client_;
};

/// TimeSource on the system's clocks.
class SystemTimeSource final : public TimeSource {
public:
    [[nodiscard]] std::chrono::steady_clock::time_point steady() const override {
        return std::chrono::steady_clock::now();
    }
    [[nodiscard]] std::chrono::system_clock::time_point wall() const override {
        return std::chrono::system_clock::now();
    }
};

}  // namespace kt::workers
