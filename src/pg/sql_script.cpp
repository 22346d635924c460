#include "pgmigrate/pg/sql_script.hpp"

#include <algorithm>
#include <cctype>

#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pg {
namespace {

// At text[i] == '$': the dollar-quote tag ("$tag$" or "$$") or empty when it is not one.
std::string_view dollar_tag(std::string_view text, size_t i) {
    size_t j = i + 1;
    while (j < text.size() && text[j] != '$') {
        auto u = static_cast<unsigned char>(text[j]);
        if (!(std::isalnum(u) || text[j] == '_' || u >= 0x80)) return {};
        if (j == i + 1 && std::isdigit(u)) return {};
        ++j;
    }
    if (j >= text.size()) return {};
    return text.substr(i, j - i + 1);
}

// True for "SET standard_conforming_strings = off" (or TO, quoted, false): from then on a
// backslash escapes in every '...' string, as the server reads them.
bool turns_off_conforming_strings(const std::string& statement) {
    std::string lower = util::to_lower(statement);
    const std::string set = "set standard_conforming_strings";
    if (lower.rfind(set, 0) != 0) return false;
    std::string value = util::trim(std::string_view(lower).substr(set.size()));
    if (value.rfind("to", 0) == 0)
        value = util::trim(std::string_view(value).substr(2));
    else if (value.rfind('=', 0) == 0)
        value = util::trim(std::string_view(value).substr(1));
    std::erase(value, '\'');
    return value == "off" || value == "false" || value == "0" || value == "no";
}

// One pass over a script: statements end at a ';' outside quotes, dollar quotes and comments.
class ScriptSplitter {
  public:
    explicit ScriptSplitter(std::string_view script) : text_(script) {}

    std::vector<ScriptItem> split() {
        while (i_ < text_.size()) {
            if (at_line_start_ && util::trim(current_).empty() && text_[i_] == '\\') {
                meta_command();
                continue;
            }
            // Indentation keeps a line's start: psql reads "  \\connect" as a meta-command.
            if (text_[i_] != ' ' && text_[i_] != '\t') at_line_start_ = false;
            if (!comment() && !quoted() && !dollar_quoted()) plain();
        }
        flush();
        return std::move(items_);
    }

  private:
    bool next_is(size_t at, char c) const { return at < text_.size() && text_[at] == c; }

    // A psql backslash command fills its line; it is never sent to the server.
    void meta_command() {
        size_t end = std::min(text_.find('\n', i_), text_.size());
        items_.push_back({util::trim(text_.substr(i_, end - i_)), true});
        current_.clear();
        i_ = end + 1;
        at_line_start_ = true;
    }

    // -- to the end of the line, or /* ... */ which nests as the server's comments do.
    bool comment() {
        if (text_[i_] == '-' && next_is(i_ + 1, '-')) {
            i_ = std::min(text_.find('\n', i_), text_.size());
            return true;
        }
        if (text_[i_] != '/' || !next_is(i_ + 1, '*')) return false;
        int depth = 0;
        while (i_ < text_.size()) {
            if (text_[i_] == '/' && next_is(i_ + 1, '*')) {
                ++depth;
                i_ += 2;
            } else if (text_[i_] == '*' && next_is(i_ + 1, '/')) {
                i_ += 2;
                if (--depth == 0) break;
            } else {
                ++i_;
            }
        }
        return true;
    }

    // '...' (E'...' and, with standard_conforming_strings off, every string: backslash
    // escapes) or "..." (an identifier); a doubled quote stays inside.
    bool quoted() {
        char q = text_[i_];
        if (q != '\'' && q != '"') return false;
        bool e_prefix = i_ > 0 && (text_[i_ - 1] == 'E' || text_[i_ - 1] == 'e') &&
                        (i_ < 2 || !is_identifier_char(text_[i_ - 2]));
        bool escapes = q == '\'' && (e_prefix || !conforming_strings_);
        size_t j = i_ + 1;
        while (j < text_.size()) {
            if (escapes && text_[j] == '\\') {
                j += 2;
            } else if (text_[j] == q && next_is(j + 1, q)) {
                j += 2;
            } else if (text_[j] == q) {
                break;
            } else {
                ++j;
            }
        }
        take_to(std::min(j + 1, text_.size()));
        return true;
    }

    // $tag$ ... $tag$ (or $$ ... $$): everything up to the same tag is one literal.
    bool dollar_quoted() {
        if (text_[i_] != '$' || (i_ > 0 && is_identifier_char(text_[i_ - 1]))) return false;
        auto tag = dollar_tag(text_, i_);
        if (tag.empty()) return false;
        size_t end = text_.find(tag, i_ + tag.size());
        take_to(end == std::string_view::npos ? text_.size() : end + tag.size());
        return true;
    }

    void plain() {
        char c = text_[i_++];
        if (c == ';') {
            flush();
            return;
        }
        if (c == '\n') at_line_start_ = true;
        current_ += c;
    }

    void take_to(size_t end) {
        current_.append(text_.substr(i_, end - i_));
        i_ = end;
    }

    void flush() {
        std::string statement = util::trim(current_);
        current_.clear();
        if (statement.empty()) return;
        if (turns_off_conforming_strings(statement)) conforming_strings_ = false;
        items_.push_back({statement, false});
    }

    std::string_view text_;
    size_t i_ = 0;
    bool at_line_start_ = true;
    bool conforming_strings_ = true;
    std::string current_;
    std::vector<ScriptItem> items_;
};

}  // namespace

std::vector<ScriptItem> split_script(std::string_view script) {
    return ScriptSplitter(script).split();
}

}  // namespace pgmigrate::pg
