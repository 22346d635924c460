#include "pgmigrate/verify/figures.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include "pgmigrate/util/error.hpp"

namespace pgmigrate::verify {
namespace {

constexpr const char* kFormat = "pg-migrate-figures/1";

nlohmann::json key_json(const TableKey& key) {
    return {{"schema", key.schema}, {"name", key.name}};
}

}  // namespace

nlohmann::json figures_to_json(const Figures& figures) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& [key, f] : figures.tables) {
        auto entry = key_json(key);
        entry["rows"] = f.rows;
        if (f.digest) entry["digest"] = f.digest->hex();
        tables.push_back(entry);
    }
    nlohmann::json sequences = nlohmann::json::array();
    for (const auto& [key, s] : figures.sequences) {
        auto entry = key_json(key);
        entry["last_value"] = s.last_value;
        entry["is_called"] = s.is_called;
        sequences.push_back(entry);
    }
    nlohmann::json doc = {{"format", kFormat},
                          {"level", pipeline::verify_level_name(figures.level)},
                          {"tables", tables},
                          {"sequences", sequences}};
    if (figures.large_objects)
        doc["large_objects"] = {{"count", figures.large_objects->count},
                                {"digest", figures.large_objects->digest.hex()}};
    return doc;
}

Figures figures_from_json(const nlohmann::json& doc, const std::string& file) {
    auto bad = [&](const std::string& why) {
        return Error(
            ExitCode::local,
            fmt::format("state file {} is invalid ({}); delete it to verify again", file, why));
    };
    auto key_of = [&](const nlohmann::json& e) {
        if (!e.is_object() || !e.contains("schema") || !e["schema"].is_string() ||
            !e.contains("name") || !e["name"].is_string())
            throw bad("an entry without schema and name");
        return TableKey{e["schema"].get<std::string>(), e["name"].get<std::string>()};
    };
    auto digest_of = [&](const nlohmann::json& v) {
        if (!v.is_string()) throw bad("a digest that is not a string");
        try {
            return Digest::from_hex(v.get<std::string>());
        } catch (const std::invalid_argument&) {
            throw bad("a malformed digest");
        }
    };
    if (!doc.is_object() || !doc.contains("format") || doc["format"] != kFormat)
        throw bad(fmt::format("not a {} document", kFormat));
    Figures figures;
    if (doc.value("level", "") == "checksums")
        figures.level = Level::checksums;
    else if (doc.value("level", "") != "counts")
        throw bad("unknown level");
    if (!doc.contains("tables") || !doc["tables"].is_array()) throw bad("no tables array");
    for (const auto& e : doc["tables"]) {
        auto key = key_of(e);
        if (!e.contains("rows") || !e["rows"].is_number_integer() || e["rows"].get<long long>() < 0)
            throw bad("a table without a row count");
        TableFigures f{e["rows"].get<long long>(), std::nullopt};
        if (e.contains("digest")) f.digest = digest_of(e["digest"]);
        figures.tables[key] = f;
    }
    if (doc.contains("sequences")) {
        if (!doc["sequences"].is_array()) throw bad("sequences is not an array");
        for (const auto& e : doc["sequences"]) {
            auto key = key_of(e);
            if (!e.contains("last_value") || !e["last_value"].is_number_integer() ||
                !e.contains("is_called") || !e["is_called"].is_boolean())
                throw bad("a malformed sequence entry");
            figures.sequences[key] = {e["last_value"].get<long long>(), e["is_called"].get<bool>()};
        }
    }
    if (doc.contains("large_objects")) {
        const auto& lo = doc["large_objects"];
        if (!lo.is_object() || !lo.contains("count") || !lo["count"].is_number_integer() ||
            !lo.contains("digest"))
            throw bad("a malformed large_objects entry");
        figures.large_objects =
            LargeObjectFigures{lo["count"].get<long long>(), digest_of(lo["digest"])};
    }
    return figures;
}

LargeObjectHasher::LargeObjectHasher(std::uint32_t oid) : state_(XXH3_createState()) {
    auto* state = static_cast<XXH3_state_t*>(state_);
    XXH3_128bits_reset(state);
    unsigned char bytes[4] = {static_cast<unsigned char>(oid), static_cast<unsigned char>(oid >> 8),
                              static_cast<unsigned char>(oid >> 16),
                              static_cast<unsigned char>(oid >> 24)};
    XXH3_128bits_update(state, bytes, sizeof bytes);
}

LargeObjectHasher::~LargeObjectHasher() {
    XXH3_freeState(static_cast<XXH3_state_t*>(state_));
}

void LargeObjectHasher::update(std::string_view bytes) {
    XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), bytes.data(), bytes.size());
}

std::pair<std::uint64_t, std::uint64_t> LargeObjectHasher::finish() {
    XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
    return {h.high64, h.low64};
}

std::pair<std::uint64_t, std::uint64_t> large_object_hash(std::uint32_t oid,
                                                          std::string_view content) {
    LargeObjectHasher hasher(oid);
    hasher.update(content);
    return hasher.finish();
}

}  // namespace pgmigrate::verify
