#include "tools/es-standin/versioning.hpp"

#include <fmt/format.h>

#include "tools/es-standin/api_error.hpp"

namespace kt::tools::standin {

VersionType parse_version_type(std::string_view text) {
    if (text == "internal") return VersionType::kInternal;
    if (text == "external") return VersionType::kExternal;
    if (text == "external_gte") return VersionType::kExternalGte;
    if (text == "force") throw illegal_argument("version type [force] may no longer be used");
    throw illegal_argument(fmt::format("No version type match [{}]", text));
}

std::string validate_conditions(const WriteConditions& c) {
    const bool external = c.version_type != VersionType::kInternal;
    if (c.op == WriteOp::kCreate) {
        if (external)
            return "create operations only support internal versioning. use index instead";
        if (c.version)
            return "create operations do not support explicit versions. use index instead";
        if (c.if_seq_no || c.if_primary_term) {
            return "create operations do not support compare and set. use index instead";
        }
        return {};
    }
    if (c.if_seq_no || c.if_primary_term) {
        if (external || c.version) return "compare and write operations can not use versioning";
        if (c.if_seq_no && *c.if_seq_no < 0) {
            return fmt::format("sequence number must be non negative. got [{}].", *c.if_seq_no);
        }
        if (!c.if_primary_term || *c.if_primary_term == 0) {
            return "ifSeqNo is set, but primary term is [0]";
        }
        if (!c.if_seq_no) {
            return fmt::format("ifSeqNo is unassigned, but primary term is [{}]",
                               *c.if_primary_term);
        }
        return {};
    }
    if (!external && c.version) {
        return "internal versioning can not be used for optimistic concurrency control. "
               "Please use `if_seq_no` and `if_primary_term` instead";
    }
    if (external && (!c.version || *c.version < 0)) {
        return fmt::format("illegal version value [{}] for version type [{}]",
                           c.version ? *c.version : -3,
                           c.version_type == VersionType::kExternal ? "EXTERNAL" : "EXTERNAL_GTE");
    }
    return {};
}

VersionDecision decide_write(const WriteConditions& c, std::string_view id,
                             const std::optional<VersionedState>& current) {
    VersionDecision out;
    const bool live = current && !current->deleted;
    out.found = live;
    if (c.if_seq_no) {
        if (!live) {
            out.conflict = fmt::format(
                "[{}]: version conflict, required seqNo [{}], primary term [{}] but no document "
                "was found",
                id, *c.if_seq_no, c.if_primary_term.value_or(0));
            return out;
        }
        if (current->seq_no != *c.if_seq_no || current->primary_term != c.if_primary_term) {
            out.conflict = fmt::format(
                "[{}]: version conflict, required seqNo [{}], primary term [{}]. current document "
                "has seqNo [{}] and primary term [{}]",
                id, *c.if_seq_no, c.if_primary_term.value_or(0), current->seq_no,
                current->primary_term);
            return out;
        }
        out.version = current->version + 1;
        return out;
    }
    if (c.version_type == VersionType::kInternal) {
        if (c.op == WriteOp::kCreate && live) {
            out.conflict = fmt::format(
                "[{}]: version conflict, document already exists (current version [{}])", id,
                current->version);
            return out;
        }
        out.version = current ? current->version + 1 : 1;
        return out;
    }
    const int64_t wanted = c.version.value_or(0);
    if (current) {
        if (c.version_type == VersionType::kExternal && current->version >= wanted) {
            out.conflict = fmt::format(
                "[{}]: version conflict, current version [{}] is higher or equal to the one "
                "provided [{}]",
                id, current->version, wanted);
            return out;
        }
        if (c.version_type == VersionType::kExternalGte && current->version > wanted) {
            out.conflict = fmt::format(
                "[{}]: version conflict, current version [{}] is higher than the one provided [{}]",
                id, current->version, wanted);
            return out;
        }
    }
    out.version = wanted;
    return out;
}

bool tombstone_alive(std::chrono::steady_clock::time_point deleted_at,
                     std::chrono::steady_clock::time_point now,
                     std::chrono::milliseconds gc_deletes) {
    return now - deleted_at < gc_deletes;
}

}  // namespace kt::tools::standin
