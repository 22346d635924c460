#include "pgmigrate/verify/row_digest.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>

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

}  // namespace

std::string Digest::hex() const {
    return fmt::format("{:016x}{:016x}", high, low);
}

Digest Digest::from_hex(std::string_view text) {
    if (text.size() != 32) throw std::invalid_argument("a digest has 32 hex digits");
    auto lane = [](std::string_view part) {
        std::uint64_t v = 0;
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v, 16);
        if (ec != std::errc() || end != part.data() + part.size())
            throw std::invalid_argument("a digest has 32 hex digits");
        return v;
    };
    return {lane(text.substr(0, 16)), lane(text.substr(16))};
}

void Digest::add(std::uint64_t hash_high, std::uint64_t hash_low) {
    std::uint64_t sum = low + hash_low;
    high += hash_high + (sum < low ? 1 : 0);
    low = sum;
}

std::string normalise_float4(std::string_view text) {
    return normalise_float<float, std::uint32_t>(text, "f4");
}

std::string normalise_float8(std::string_view text) {
    return normalise_float<double, std::uint64_t>(text, "f8");
}

std::string normalise_float_array(std::string_view text, ColumnKind element_kind) {
    auto element = [&](std::string_view e) {
        if (e == "NULL") return std::string(e);
        return element_kind == ColumnKind::float4 ? normalise_float4(e) : normalise_float8(e);
    };
    std::string out;
    out.reserve(text.size() * 2);
    size_t i = 0;
    // Optional dimension decoration "[1:2][0:1]=" is kept as text.
    if (!text.empty() && text[0] == '[') {
        auto eq = text.find('=');
        if (eq == std::string_view::npos) return std::string(text);
        out.append(text.substr(0, eq + 1));
        i = eq + 1;
    }
    while (i < text.size()) {
        char c = text[i];
        if (c == '{' || c == '}' || c == ',' || c == ' ') {
            out.push_back(c);
            ++i;
            continue;
        }
        size_t end = text.find_first_of("{},", i);
        if (end == std::string_view::npos) end = text.size();
        out += element(text.substr(i, end - i));
        i = end;
    }
    return out;
}

std::pair<std::uint64_t, std::uint64_t> hash128(std::string_view bytes) {
    XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
    return {h.high64, h.low64};
}

RowDigester::RowDigester(std::vector<ColumnKind> columns) : columns_(std::move(columns)) {
    for (auto kind : columns_) has_floats_ = has_floats_ || kind != ColumnKind::text;
}

std::string_view RowDigester::normalised(std::string_view line) {
    if (!has_floats_) return line;
    buffer_.clear();
    size_t start = 0;
    for (size_t column = 0;; ++column) {
        size_t tab = line.find('\t', start);
        std::string_view field = line.substr(
            start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
        ColumnKind kind = column < columns_.size() ? columns_[column] : ColumnKind::text;
        if (column > 0) buffer_.push_back('\t');
        if (kind == ColumnKind::text || field == "\\N")
            buffer_.append(field);
        else if (kind == ColumnKind::float4)
            buffer_ += normalise_float4(field);
        else if (kind == ColumnKind::float8)
            buffer_ += normalise_float8(field);
        else
            buffer_ += normalise_float_array(
                field, kind == ColumnKind::float4_array ? ColumnKind::float4 : ColumnKind::float8);
        if (tab == std::string_view::npos) break;
        start = tab + 1;
    }
    return buffer_;
}

void RowDigester::add_line(std::string_view line) {
    auto [high, low] = hash128(normalised(line));
    digest_.add(high, low);
    ++rows_;
}

}  // namespace pgmigrate::verify
