#include "pgmigrate/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace pgmigrate::util {

bool glob_match(std::string_view pattern, std::string_view text) {
    // Iterative matcher with single backtrack point for the last '*'.
    size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

std::string encode_file_name(std::string_view name) {
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        auto c = static_cast<unsigned char>(name[i]);
        bool keep = std::isalnum(c) || c == '_' || c == '-' || (c == '.' && i != 0);
        if (keep && c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    if (out.empty()) out = "%00";
    return out;
}

std::string format_duration(std::chrono::milliseconds d) {
    auto ms = d.count();
    if (ms < 1000) return fmt::format("{}ms", ms);
    if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
    auto s = ms / 1000;
    if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string format_bytes(std::uint64_t bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) return fmt::format("{} B", bytes);
    double v = static_cast<double>(bytes);
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < std::size(units)) {
        v /= 1024.0;
        ++u;
    }
    return fmt::format("{:.1f} {}", v, units[u]);
}

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.emplace_back(line);
        start = end + 1;
    }
    return lines;
}

std::string trim(std::string_view text) {
    auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return std::string(text);
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

namespace {
// Display width in terminal cells, counting each UTF-8 code point as one cell.
size_t display_width(std::string_view s) {
    return static_cast<size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}
}  // namespace

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<size_t>& right_aligned) {
    std::vector<size_t> widths(header.size(), 0);
    auto widen = [&](const std::vector<std::string>& row) {
        for (size_t i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], display_width(row[i]));
    };
    widen(header);
    for (const auto& row : rows) widen(row);

    auto is_right = [&](size_t i) {
        return std::find(right_aligned.begin(), right_aligned.end(), i) != right_aligned.end();
    };
    auto line = [&](const std::vector<std::string>& row) {
        std::string out;
        for (size_t i = 0; i < widths.size(); ++i) {
            std::string cell = i < row.size() ? row[i] : "";
            std::string pad(widths[i] - display_width(cell), ' ');
            if (i > 0) out += "  ";
            out += is_right(i) ? pad + cell : cell + (i + 1 < widths.size() ? pad : "");
        }
        return out + "\n";
    };
    std::string out = line(header);
    std::vector<std::string> rule;
    for (size_t w : widths) rule.emplace_back(std::string(w, '-'));
    out += line(rule);
    for (const auto& row : rows) out += line(row);
    return out;
}

}  // namespace pgmigrate::util
