#include "pgmigrate/verify/compare.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pgmigrate/util/text.hpp"

namespace pgmigrate::verify {
namespace {

// schema.name on one line: a newline or tab in a name is shown escaped.
std::string shown(const TableKey& key) {
    std::string out;
    for (char c : key.display()) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (c == '\r')
            out += "\\r";
        else
            out.push_back(c);
    }
    return out;
}

}  // namespace

const char* status_text(Status status) {
    switch (status) {
        case Status::ok:
            return "ok";
        case Status::count_mismatch:
            return "COUNT MISMATCH";
        case Status::checksum_mismatch:
            return "CHECKSUM MISMATCH";
        case Status::missing_on_target:
            return "MISSING ON TARGET";
    }
    return "?";
}

Comparison compare_figures(const Figures& source, const Figures& target,
                           const std::set<TableKey>& skip) {
    Comparison out;
    out.level = source.level == Level::checksums && target.level == Level::checksums
                    ? Level::checksums
                    : Level::counts;
    for (const auto& [key, src] : source.tables) {
        if (skip.count(key)) continue;
        TableComparison row;
        row.table = key;
        row.source = src;
        if (auto it = target.tables.find(key); it != target.tables.end()) row.target = it->second;
        if (!row.target) {
            row.status = Status::missing_on_target;
        } else if (row.target->rows != src.rows) {
            row.status = Status::count_mismatch;
        } else if (src.digest && row.target->digest) {
            row.checksummed = true;
            if (*src.digest != *row.target->digest) row.status = Status::checksum_mismatch;
        }
        if (row.status == Status::ok)
            out.rows_verified += src.rows;
        else
            ++out.failures;
        out.tables.push_back(row);
    }
    if (out.level == Level::checksums) {
        for (const auto& [key, position] : source.sequences) {
            SequenceComparison s{key, position, std::nullopt};
            if (auto it = target.sequences.find(key); it != target.sequences.end())
                s.target = it->second;
            if (!s.ok()) ++out.failures;
            out.sequences.push_back(s);
        }
        out.source_large_objects = source.large_objects;
        out.target_large_objects = target.large_objects;
        if (!out.large_objects_ok()) ++out.failures;
    }
    return out;
}

std::vector<std::string> Comparison::differences() const {
    std::vector<std::string> out;
    for (const auto& t : tables) {
        if (t.status == Status::ok) continue;
        std::string detail =
            t.status == Status::missing_on_target
                ? fmt::format("{} rows on the source", t.source->rows)
            : t.status == Status::count_mismatch
                ? fmt::format("source {} rows, target {}", t.source->rows, t.target->rows)
                : fmt::format("{} rows on both sides, different content", t.source->rows);
        out.push_back(
            fmt::format("table {}: {} ({})", shown(t.table), status_text(t.status), detail));
    }
    for (const auto& s : sequences) {
        if (s.ok()) continue;
        auto pos = [](const SequencePosition& p) {
            return fmt::format("last_value {}, is_called {}", p.last_value, p.is_called);
        };
        out.push_back(fmt::format("sequence {}: source {}, target {}", shown(s.sequence),
                                  pos(s.source), s.target ? pos(*s.target) : "missing"));
    }
    if (level == Level::checksums && !large_objects_ok()) {
        auto lo = [](const std::optional<LargeObjectFigures>& f) {
            return f ? fmt::format("{} (digest {})", f->count, f->digest.hex()) : "not read";
        };
        out.push_back(fmt::format("large objects: source {}, target {}", lo(source_large_objects),
                                  lo(target_large_objects)));
    }
    return out;
}

std::string render_comparison(const Comparison& comparison) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : comparison.tables) {
        auto cell = [](const std::optional<TableFigures>& f) {
            return f ? std::to_string(f->rows) : std::string("-");
        };
        rows.push_back({shown(t.table), cell(t.source), cell(t.target),
                        t.checksummed ? "checksum" : "count", status_text(t.status)});
    }
    std::string out = util::render_table(
        {"table", "source rows", "target rows", "checked", "status"}, rows, {1, 2});
    for (const auto& line : comparison.differences())
        if (line.rfind("table ", 0) != 0) out += "\n" + line;
    if (comparison.level == Level::checksums) {
        auto sequences_ok = std::count_if(comparison.sequences.begin(), comparison.sequences.end(),
                                          [](const SequenceComparison& q) { return q.ok(); });
        out += fmt::format("\nsequences: {} of {} ok; large objects: {}", sequences_ok,
                           comparison.sequences.size(),
                           !comparison.large_objects_ok() ? "DIFFER"
                           : comparison.source_large_objects
                               ? fmt::format("{} ok", comparison.source_large_objects->count)
                               : std::string("none"));
    }
    return out;
}

pipeline::VerifyReport as_verify_report(const Comparison& comparison) {
    using pipeline::VerifyRow;
    pipeline::VerifyReport r;
    for (const auto& t : comparison.tables) {
        VerifyRow row;
        row.table = t.table;
        if (t.source) row.source = t.source->rows;
        if (t.target) row.dest = t.target->rows;
        row.status = t.status == Status::ok                  ? VerifyRow::Status::ok
                     : t.status == Status::missing_on_target ? VerifyRow::Status::missing
                                                             : VerifyRow::Status::mismatch;
        r.rows.push_back(row);
    }
    r.failures = comparison.failures;
    r.rows_verified = comparison.rows_verified;
    return r;
}

}  // namespace pgmigrate::verify
