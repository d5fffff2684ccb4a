#include "tools/es-standin/source_shape.hpp"

#include <nlohmann/json.hpp>

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
        if (depth_ == 1) mark(FieldKind::kObject);
        ++depth_;
        return true;
    }
    bool end_object() override {
        --depth_;
        return true;
    }
    bool start_array(std::size_t) override {
        if (depth_ == 0) shape_.first_token = "START_ARRAY";
        if (depth_ == 1) mark(FieldKind::kArray);
        ++depth_;
        return true;
    }
    bool end_array() override {
        --depth_;
        return true;
    }
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

}  // namespace

SourceShape inspect_source(std::string_view text) {
    SourceShape shape;
    ShapeHandler handler(shape);
    shape.valid = nlohmann::json::sax_parse(text.begin(), text.end(), &handler,
                                            nlohmann::json::input_format_t::json, true);
    if (!shape.valid && shape.error.empty()) shape.error = "malformed JSON";
    return shape;
}

}  // namespace kt::tools::standin
