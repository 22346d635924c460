#pragma once
// Source figures against target figures: per table, per sequence and for the large objects,
// whether the target holds what the source (the dump's snapshot) held.
#include <set>
#include <string>
#include <vector>

#include "pgmigrate/pipeline/counts.hpp"
#include "pgmigrate/verify/figures.hpp"

namespace pgmigrate::verify {

enum class Status {
    ok,
    count_mismatch,     // row counts differ
    checksum_mismatch,  // same count, different rows
    missing_on_target,
};
// "ok", "COUNT MISMATCH", "CHECKSUM MISMATCH", "MISSING ON TARGET".
const char* status_text(Status status);

struct TableComparison {
    TableKey table;
    std::optional<TableFigures> source, target;
    Status status = Status::ok;
    bool checksummed = false;  // both sides had a digest
};

struct SequenceComparison {
    TableKey sequence;
    SequencePosition source;
    std::optional<SequencePosition> target;
    bool ok() const { return target && *target == source; }
};

struct Comparison {
    Level level = Level::counts;  // the lower of the two sides' levels
    std::vector<TableComparison> tables;
    std::vector<SequenceComparison> sequences;  // checksums level: every sequence of the source
    std::optional<LargeObjectFigures> source_large_objects, target_large_objects;
    int failures = 0;             // tables, sequences and large objects that differ
    long long rows_verified = 0;  // source rows of the tables that are ok
    bool ok() const { return failures == 0; }
    bool large_objects_ok() const { return source_large_objects == target_large_objects; }
    // One line per difference: "table public.t1: CHECKSUM MISMATCH (1000 rows on both sides)".
    std::vector<std::string> differences() const;
};

// Tables in `skip` (delayed tables in the regular phase) are left out; a table or sequence only
// on the target is not judged. Digests are compared when both sides have one.
Comparison compare_figures(const Figures& source, const Figures& target,
                           const std::set<TableKey>& skip);

// The table for the log: table, source rows, target rows, checked (count/checksum), status;
// then the sequences and large objects that differ.
std::string render_comparison(const Comparison& comparison);

// The comparison as the progress board and the report record it (rows per table, status).
pipeline::VerifyReport as_verify_report(const Comparison& comparison);

}  // namespace pgmigrate::verify
