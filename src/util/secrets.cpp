#include "pgmigrate/util/secrets.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <vector>

#include "pgmigrate/util/text.hpp"

namespace pgmigrate::util {
namespace {

constexpr std::string_view kMask = "********";

std::mutex g_secrets_mutex;
std::vector<std::string> g_secrets;

bool is_word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// End of the quoted value that starts at text[open] (a quote): one past the closing quote, or
// text.size() when it never closes. Doubled quotes and, when backslashes escape, \x are skipped.
size_t quoted_end(std::string_view text, size_t open, bool backslashes) {
    char quote = text[open];
    size_t i = open + 1;
    while (i < text.size()) {
        if (backslashes && text[i] == '\\') {
            i += 2;
        } else if (text[i] == quote && i + 1 < text.size() && text[i + 1] == quote) {
            i += 2;
        } else if (text[i] == quote) {
            return i + 1;
        } else {
            ++i;
        }
    }
    return text.size();
}

size_t skip_spaces(std::string_view text, size_t i) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    return i;
}

// After a key ending in "password": "= value" (bare up to white space, or quoted) is masked.
// After the keyword PASSWORD: a literal is masked. Returns where the copy goes on.
size_t mask_after_password_word(std::string_view text, size_t i, bool keyword, std::string& out) {
    size_t j = skip_spaces(text, i);
    if (j < text.size() && text[j] == '=') {
        out.append(text.substr(i, j + 1 - i));
        size_t v = skip_spaces(text, j + 1);
        out.append(text.substr(j + 1, v - j - 1));
        if (v < text.size() && (text[v] == '\'' || text[v] == '"')) {
            out += text[v];
            out += kMask;
            size_t end = quoted_end(text, v, true);
            if (end > v + 1 && text[end - 1] == text[v]) out += text[v];
            return end;
        }
        size_t end = v;
        while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
        if (end > v) out += kMask;
        return end;
    }
    if (!keyword) return i;
    bool escapes = j + 1 < text.size() && (text[j] == 'E' || text[j] == 'e') && text[j + 1] == '\'';
    size_t open = escapes ? j + 1 : j;
    if (open >= text.size() || text[open] != '\'') return i;
    out.append(text.substr(i, open - i));
    out += '\'';
    out += kMask;
    size_t end = quoted_end(text, open, escapes);
    if (end > open + 1 && text[end - 1] == '\'') out += '\'';
    return end;
}

// Rule 1 and 2 of mask_secrets: values that are passwords by their place in the text.
std::string mask_password_values(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        if (!is_word_char(text[i])) {
            out += text[i++];
            continue;
        }
        size_t end = i;
        while (end < text.size() && is_word_char(text[end])) ++end;
        std::string word = to_lower(text.substr(i, end - i));
        out.append(text.substr(i, end - i));
        bool password_key = word.size() >= 8 && word.ends_with("password");
        i = password_key ? mask_after_password_word(text, end, word == "password", out) : end;
    }
    return out;
}

// Rule 3: 'secret' as a whole SQL literal (its quotes doubled as SQL writes them), unless it is
// the value of a conninfo key (right after '=').
void mask_registered_literal(std::string& text, const std::string& secret) {
    std::string literal = "'";
    for (char c : secret) literal += c == '\'' ? std::string("''") : std::string(1, c);
    literal += "'";
    const std::string masked = "'" + std::string(kMask) + "'";
    for (size_t pos = text.find(literal); pos != std::string::npos;
         pos = text.find(literal, pos + 1)) {
        if (pos > 0 && text[pos - 1] == '=') continue;
        text.replace(pos, literal.size(), masked);
    }
}

}  // namespace

void register_secret(const std::string& secret) {
    if (secret.empty()) return;
    std::lock_guard lock(g_secrets_mutex);
    g_secrets.push_back(secret);
}

void forget_secret(const std::string& secret) {
    std::lock_guard lock(g_secrets_mutex);
    auto it = std::find(g_secrets.begin(), g_secrets.end(), secret);
    if (it != g_secrets.end()) g_secrets.erase(it);
}

std::string mask_secrets(std::string_view text) {
    std::string out = mask_password_values(text);
    std::lock_guard lock(g_secrets_mutex);
    for (const auto& secret : g_secrets) mask_registered_literal(out, secret);
    return out;
}

}  // namespace pgmigrate::util
