#include "pgmigrate/verify/column_kind.hpp"

#include <algorithm>
#include <stdexcept>

namespace pgmigrate::verify {
namespace {

bool is_text(const ColumnKind& kind) {
    return kind.form() == ColumnKind::Form::text;
}

// Reads one name at pos (the grammar of ColumnKind::name); throws std::invalid_argument.
class NameParser {
  public:
    explicit NameParser(std::string_view text) : text_(text) {}

    ColumnKind whole() {
        ColumnKind kind = one();
        if (pos_ != text_.size()) throw std::invalid_argument("trailing text");
        return kind;
    }

  private:
    bool take(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    void expect(char c) {
        if (pos_ >= text_.size() || text_[pos_] != c) throw std::invalid_argument("bad kind");
        ++pos_;
    }

    ColumnKind one() {
        ColumnKind kind;
        if (take("text")) {
            kind = ColumnKind::text;
        } else if (take("float4")) {
            kind = ColumnKind::float4;
        } else if (take("float8")) {
            kind = ColumnKind::float8;
        } else if (take("geometric")) {
            kind = ColumnKind::geometric;
        } else if (take("range(")) {
            kind = ColumnKind::range_of(one());
            expect(')');
        } else if (take("(")) {
            std::vector<ColumnKind> fields;
            if (!take(")")) {
                do fields.push_back(one());
                while (take(","));
                expect(')');
            }
            kind = ColumnKind::composite_of(std::move(fields));
        } else {
            throw std::invalid_argument("bad kind");
        }
        for (;;) {
            if (take("[]")) {
                kind = ColumnKind::array_of(kind);
            } else if (pos_ + 2 < text_.size() && text_[pos_] == '[' && text_[pos_ + 2] == ']') {
                kind = ColumnKind::array_of(kind, text_[pos_ + 1]);
                pos_ += 3;
            } else {
                break;
            }
        }
        return kind;
    }

    std::string_view text_;
    size_t pos_ = 0;
};

}  // namespace

ColumnKind ColumnKind::array_of(ColumnKind element, char delimiter) {
    if (is_text(element)) return text;
    return ColumnKind(Form::array, {std::move(element)}, delimiter);
}

ColumnKind ColumnKind::composite_of(std::vector<ColumnKind> fields) {
    if (std::all_of(fields.begin(), fields.end(), is_text)) return text;
    return ColumnKind(Form::composite, std::move(fields));
}

ColumnKind ColumnKind::range_of(ColumnKind subtype) {
    if (is_text(subtype)) return text;
    return ColumnKind(Form::range, {std::move(subtype)});
}

std::string ColumnKind::name() const {
    switch (form_) {
        case Form::text:
            return "text";
        case Form::float4:
            return "float4";
        case Form::float8:
            return "float8";
        case Form::geometric:
            return "geometric";
        case Form::array:
            return parts_.at(0).name() +
                   (delimiter_ == ',' ? std::string("[]") : std::string{'[', delimiter_, ']'});
        case Form::composite: {
            std::string out = "(";
            for (size_t i = 0; i < parts_.size(); ++i) out += (i ? "," : "") + parts_[i].name();
            return out + ")";
        }
        case Form::range:
            return "range(" + parts_.at(0).name() + ")";
    }
    return "text";
}

ColumnKind ColumnKind::from_name(std::string_view name) {
    try {
        return NameParser(name).whole();
    } catch (const std::invalid_argument&) {
        return text;
    }
}

}  // namespace pgmigrate::verify
