#include "pgmigrate/verify/row_digest.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <charconv>
#include <stdexcept>

namespace pgmigrate::verify {

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

std::pair<std::uint64_t, std::uint64_t> hash128(std::string_view bytes) {
    XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
    return {h.high64, h.low64};
}

RowDigester::RowDigester(std::vector<ColumnKind> columns) : columns_(std::move(columns)) {
    for (const auto& kind : columns_) has_floats_ = has_floats_ || kind != ColumnKind::text;
}

std::string_view RowDigester::normalised(std::string_view line) {
    if (!has_floats_) return line;
    buffer_.clear();
    size_t start = 0;
    for (size_t column = 0;; ++column) {
        size_t tab = line.find('\t', start);
        std::string_view field = line.substr(
            start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
        if (column > 0) buffer_.push_back('\t');
        if (column < columns_.size() && field != "\\N")
            buffer_ += normalise_field(field, columns_[column]);
        else
            buffer_.append(field);
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
