#pragma once

#include <string>

#include "tools/es-standin/bulk_parse.hpp"
#include "tools/es-standin/catalog.hpp"
#include "tools/es-standin/faults.hpp"
#include "tools/es-standin/request.hpp"

namespace kt::tools::standin {

/// Document APIs: single-document writes and reads, `_bulk` and `_mget`. Thread-safe.
class DocumentService {
public:
    DocumentService(Catalog& catalog, FaultInjector& faults, StandinStats& stats);

    /// `POST /_bulk`, `POST /{index}/_bulk`.
    ApiResponse bulk(const std::string& index, const std::string& body, const Params& params);
    /// `PUT|POST /{index}/_doc/{id}`, `/_create/{id}`, `POST /{index}/_doc` (empty id).
    ApiResponse index_doc(const std::string& index, const std::string& id, const std::string& body,
                          const Params& params, bool create);
    /// `DELETE /{index}/_doc/{id}`.
    ApiResponse delete_doc(const std::string& index, const std::string& id, const Params& params);
    /// `POST /{index}/_update/{id}`.
    ApiResponse update_doc(const std::string& index, const std::string& id, const std::string& body,
                           const Params& params);
    /// `GET|HEAD /{index}/_doc/{id}` and `GET /{index}/_source/{id}` (realtime).
    ApiResponse get_doc(const std::string& index, const std::string& id, const Params& params,
                        bool source_only);
    /// `GET|POST /_mget`, `/{index}/_mget`.
    ApiResponse mget(const std::string& index, const std::string& body, const Params& params);

private:
    Catalog& catalog_;
    FaultInjector& faults_;
    StandinStats& stats_;
};

/// Appends `text` as a JSON string literal (with quotes) to `out`.
void append_json_string(std::string& out, std::string_view text);

}  // namespace kt::tools::standin
