// The canonical text of one COPY field of a kind that carries floats (row_digest.hpp).
//
// The structured literals are parsed in their COPY form: there a backslash starts a two-byte
// escape, "\\" for one backslash of the value and "\n", "\t"... for control characters, so no
// escape is ever structure. Inside an array, record or range literal a (value) backslash
// escapes the next character, and in records and ranges "" inside quotes is one quote.
// Element values keep their COPY form; the canonical literal quotes every non-float value
// ("" for a quote), so two different values never give the same text.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "pgmigrate/verify/row_digest.hpp"

namespace pgmigrate::verify {
namespace {

template <typename Float, typename Bits>
std::string normalise_float(std::string_view text, const char* tag) {
    Float value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    // Not a number as PostgreSQL prints them: keep the text, so it differs from any number.
    if (ec != std::errc() || end != text.data() + text.size()) return std::string(text);
    if (std::isnan(value)) return "NaN";  // PostgreSQL has one NaN; its bits are not data
    Bits bits;
    std::memcpy(&bits, &value, sizeof bits);
    return fmt::format("{}:{:0{}x}", tag, bits, sizeof(Bits) * 2);
}

// A literal that is not what its kind says (it is then compared as text).
struct Malformed {};

struct Item {
    std::string value;
    bool quoted = false;
};

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
    return true;
}

std::string quoted(std::string_view value) {
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    return out + "\"";
}

class LiteralParser {
  public:
    explicit LiteralParser(std::string_view text) : s_(text) {}

    std::string whole(const ColumnKind& kind) {
        std::string out = value(kind);
        if (pos_ != s_.size()) throw Malformed{};
        return out;
    }

  private:
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

    void expect(char c) {
        if (peek() != c) throw Malformed{};
        ++pos_;
    }

    // One COPY unit at pos appended to out: a byte, or a two-byte escape.
    void take_unit(std::string& out) {
        if (s_[pos_] != '\\') {
            out.push_back(s_[pos_++]);
            return;
        }
        if (pos_ + 1 >= s_.size()) throw Malformed{};
        out.append(s_.substr(pos_, 2));
        pos_ += 2;
    }

    // One element, field or bound: up to an unquoted character of `stops`.
    Item item(std::string_view stops, bool doubled_quotes) {
        Item out;
        bool in_quotes = false;
        while (pos_ < s_.size()) {
            char c = s_[pos_];
            if (c == '\\' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\\') {
                pos_ += 2;  // a value backslash: the next character is taken as it is
                if (pos_ >= s_.size()) throw Malformed{};
                take_unit(out.value);
            } else if (c == '"') {
                ++pos_;
                if (in_quotes && doubled_quotes && peek() == '"') {
                    out.value.push_back('"');
                    ++pos_;
                } else {
                    in_quotes = !in_quotes;
                    out.quoted = true;
                }
            } else if (!in_quotes && stops.find(c) != std::string_view::npos) {
                break;
            } else {
                take_unit(out.value);
            }
        }
        if (in_quotes) throw Malformed{};
        return out;
    }

    static std::string canonical(const std::string& text, const ColumnKind& kind) {
        return kind.form() == ColumnKind::Form::text ? text : LiteralParser(text).whole(kind);
    }

    std::string value(const ColumnKind& kind) {
        switch (kind.form()) {
            case ColumnKind::Form::text: {
                std::string out(s_.substr(pos_));
                pos_ = s_.size();
                return out;
            }
            case ColumnKind::Form::float4:
            case ColumnKind::Form::float8:
            case ColumnKind::Form::geometric: {
                std::string_view rest = s_.substr(pos_);
                pos_ = s_.size();
                if (kind.form() == ColumnKind::Form::float4) return normalise_float4(rest);
                if (kind.form() == ColumnKind::Form::float8) return normalise_float8(rest);
                return normalise_geometric(rest);
            }
            case ColumnKind::Form::array:
                return array(kind);
            case ColumnKind::Form::composite:
                return record(kind);
            case ColumnKind::Form::range:
                return range(kind);
        }
        throw Malformed{};
    }

    // "[1:2][0:1]=" is kept as it is, then one (possibly nested) "{...}".
    std::string array(const ColumnKind& kind) {
        std::string out;
        if (peek() == '[') {
            size_t eq = s_.find('=', pos_);
            if (eq == std::string_view::npos) throw Malformed{};
            out.append(s_.substr(pos_, eq + 1 - pos_));
            pos_ = eq + 1;
        }
        return out + braces(kind.parts().at(0), kind.delimiter());
    }

    std::string braces(const ColumnKind& element, char delimiter) {
        expect('{');
        std::string out = "{";
        if (peek() == '}') {
            ++pos_;
            return "{}";
        }
        const char stops[] = {delimiter, '}', '\0'};
        for (;;) {
            if (peek() == '{') {
                out += braces(element, delimiter);
            } else {
                Item e = item(stops, false);
                if (!e.quoted && iequals(e.value, "NULL"))
                    out += "NULL";
                else if (element.form() == ColumnKind::Form::float4 ||
                         element.form() == ColumnKind::Form::float8)
                    out += element_float(e.value, element);
                else
                    out += quoted(canonical(e.value, element));
            }
            char c = peek();
            expect(c == '}' ? '}' : delimiter);
            if (c == '}') return out + "}";
            out.push_back(',');
        }
    }

    // A float element as the plain float path writes it (NaN, f8:...), quoted when it is not
    // a number so it cannot pass for one.
    static std::string element_float(const std::string& text, const ColumnKind& element) {
        std::string v = element.form() == ColumnKind::Form::float4 ? normalise_float4(text)
                                                                   : normalise_float8(text);
        bool number = v == "NaN" || v.rfind("f4:", 0) == 0 || v.rfind("f8:", 0) == 0;
        return number ? v : quoted(v);
    }

    // "(a,b,...)": an unquoted empty field is NULL.
    std::string record(const ColumnKind& kind) {
        expect('(');
        std::string out = "(";
        const auto& fields = kind.parts();
        for (size_t i = 0; i < fields.size(); ++i) {
            if (i) {
                expect(',');
                out.push_back(',');
            }
            Item f = item(",)", true);
            if (f.quoted || !f.value.empty()) out += quoted(canonical(f.value, fields[i]));
        }
        expect(')');
        return out + ")";
    }

    // "empty", or "[lower,upper)" with either bound empty for unbounded.
    std::string range(const ColumnKind& kind) {
        if (s_.substr(pos_) == "empty") {
            pos_ = s_.size();
            return "empty";
        }
        char open = peek();
        if (open != '[' && open != '(') throw Malformed{};
        ++pos_;
        std::string out(1, open);
        Item lower = item(",", true);
        expect(',');
        Item upper = item("])", true);
        char close = peek();
        if (close != ']' && close != ')') throw Malformed{};
        ++pos_;
        for (const Item* bound : {&lower, &upper}) {
            if (bound->quoted || !bound->value.empty())
                out += quoted(canonical(bound->value, kind.parts().at(0)));
            if (bound == &lower) out.push_back(',');
        }
        return out + close;
    }

    std::string_view s_;
    size_t pos_ = 0;
};

}  // namespace

std::string normalise_float4(std::string_view text) {
    return normalise_float<float, std::uint32_t>(text, "f4");
}

std::string normalise_float8(std::string_view text) {
    return normalise_float<double, std::uint64_t>(text, "f8");
}

std::string normalise_geometric(std::string_view text) {
    static constexpr std::string_view kPunctuation = "()[]{}<>,";
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        if (kPunctuation.find(text[i]) != std::string_view::npos) {
            out.push_back(text[i++]);
            continue;
        }
        size_t end = text.find_first_of(kPunctuation, i);
        if (end == std::string_view::npos) end = text.size();
        out += normalise_float8(text.substr(i, end - i));
        i = end;
    }
    return out;
}

std::string normalise_float_array(std::string_view text, const ColumnKind& element_kind) {
    return normalise_field(text, ColumnKind::array_of(element_kind));
}

std::string normalise_field(std::string_view text, const ColumnKind& kind) {
    switch (kind.form()) {
        case ColumnKind::Form::text:
            return std::string(text);
        case ColumnKind::Form::float4:
            return normalise_float4(text);
        case ColumnKind::Form::float8:
            return normalise_float8(text);
        default:
            break;
    }
    try {
        return LiteralParser(text).whole(kind);
    } catch (const Malformed&) {
        return std::string(text);
    }
}

}  // namespace pgmigrate::verify
