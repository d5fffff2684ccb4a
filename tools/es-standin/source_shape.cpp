#include "tools/es-standin/source_shape.hpp"

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include <optional>

namespace kt::tools::standin {

namespace {

class ShapeHandler : public nlohmann::json_sax<nlohmann::json> {
public:
    explicit ShapeHandler(SourceShape& shape) : shape_(shape) {}

    bool null() override { return value(FieldKind::kNull, "VALUE_NULL"); }
    bool boolean(bool flag) override {
        return value(FieldKind::kBool, flag ? "VALUE_TRUE" : "VALUE_FALSE");
    }
    bool number_integer(number_integer_t) override {
        return value(FieldKind::kInteger, "VALUE_NUMBER_INT");
    }
    bool number_unsigned(number_unsigned_t) override {
        return value(FieldKind::kInteger, "VALUE_NUMBER_INT");
    }
    bool number_float(number_float_t, const string_t&) override {
        return value(FieldKind::kFloat, "VALUE_NUMBER_FLOAT");
    }
    bool string(string_t&) override { return value(FieldKind::kString, "VALUE_STRING"); }
    bool binary(binary_t&) override { return value(FieldKind::kString, "VALUE_EMBEDDED_OBJECT"); }
    bool start_object(std::size_t) override {
        if (depth_ == 0) shape_.is_object = true;
        return enter(FieldKind::kObject);
    }
    bool end_object() override { return leave(); }
    bool start_array(std::size_t) override {
        if (depth_ == 0) shape_.first_token = "START_ARRAY";
        return enter(FieldKind::kArray);
    }
    bool end_array() override { return leave(); }
    bool key(string_t& name) override {
        if (depth_ == 1) shape_.fields.emplace_back(name, FieldKind::kNull);
        return true;
    }
    bool parse_error(std::size_t, const std::string&,
                     const nlohmann::detail::exception& error) override {
        shape_.error = error.what();
        return false;
    }

private:
    /// Opens an object or array (the kind of a top-level field when one level down).
    bool enter(FieldKind kind) {
        if (depth_ == 1) mark(kind);
        ++depth_;
        return true;
    }
    bool leave() {
        --depth_;
        return true;
    }
    bool value(FieldKind kind, const char* token) {
        if (depth_ == 0) shape_.first_token = token;
        if (depth_ == 1) mark(kind);
        return true;
    }
    void mark(FieldKind kind) {
        if (!shape_.fields.empty()) shape_.fields.back().second = kind;
    }

    SourceShape& shape_;
    int depth_ = 0;
};

/// The shape of a document simdjson accepts, or nothing: its errors (and the rare number it
/// cannot hold, such as an integer beyond 64 bits) are left to the SAX scan below.
std::optional<SourceShape> fast_shape(std::string_view text) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
    SourceShape shape;
    shape.valid = true;
    const auto kind_of = [](simdjson::dom::element_type type) {
        switch (type) {
            case simdjson::dom::element_type::OBJECT:
                return FieldKind::kObject;
            case simdjson::dom::element_type::ARRAY:
                return FieldKind::kArray;
            case simdjson::dom::element_type::STRING:
                return FieldKind::kString;
            case simdjson::dom::element_type::INT64:
            case simdjson::dom::element_type::UINT64:
                return FieldKind::kInteger;
            case simdjson::dom::element_type::DOUBLE:
                return FieldKind::kFloat;
            case simdjson::dom::element_type::BOOL:
                return FieldKind::kBool;
            case simdjson::dom::element_type::NULL_VALUE:
                return FieldKind::kNull;
        }
        return FieldKind::kNull;
    };
    if (root.type() != simdjson::dom::element_type::OBJECT) {
        switch (kind_of(root.type())) {
            case FieldKind::kArray:
                shape.first_token = "START_ARRAY";
                break;
            case FieldKind::kString:
                shape.first_token = "VALUE_STRING";
                break;
            case FieldKind::kInteger:
                shape.first_token = "VALUE_NUMBER_INT";
                break;
            case FieldKind::kFloat:
                shape.first_token = "VALUE_NUMBER_FLOAT";
                break;
            case FieldKind::kBool:
                shape.first_token = root.get_bool().value_unsafe() ? "VALUE_TRUE" : "VALUE_FALSE";
                break;
            case FieldKind::kNull:
            case FieldKind::kObject:
                shape.first_token = "VALUE_NULL";
                break;
        }
        return shape;
    }
    shape.is_object = true;
    const simdjson::dom::object object = root.get_object().value_unsafe();
    for (const auto field : object) {
        shape.fields.emplace_back(std::string(field.key), kind_of(field.value.type()));
    }
    return shape;
}

}  // namespace

SourceShape inspect_source(std::string_view text) {
    if (auto shape = fast_shape(text)) return std::move(*shape);
    SourceShape shape;
    ShapeHandler handler(shape);
    shape.valid = nlohmann::json::sax_parse(text.begin(), text.end(), &handler,
                                            nlohmann::json::input_format_t::json, true);
    if (!shape.valid && shape.error.empty()) shape.error = "malformed JSON";
    return shape;
}

}  // namespace kt::tools::standin
