#pragma once
// The delayed phase's index handling: the CREATE INDEX DDL of every non-constraint index of
// the delayed tables is saved durably before any is dropped, then re-created in parallel.
#include <set>
#include <string>
#include <vector>

#include "pgmigrate/pipeline/table.hpp"

namespace pgmigrate::pipeline {

class Context;

struct SavedIndex {
    std::string schema, name;  // the index
    TableKey table;
    std::string ddl;           // pg_get_indexdef output
};

// Reads the indexes from the source and saves them (once; later calls return the saved list).
std::vector<SavedIndex> save_delayed_indexes(Context& ctx, const std::string& db,
                                             const std::set<TableKey>& tables);
void drop_indexes(Context& ctx, const std::string& db, const std::vector<SavedIndex>& indexes);
// Re-creates missing indexes, at most --restore-jobs at a time.
void recreate_indexes(Context& ctx, const std::string& db, const std::vector<SavedIndex>& indexes);
// Sets the target's sequences owned by the delayed tables to the source's positions.
void sync_sequences(Context& ctx, const std::string& db, const std::set<TableKey>& tables);

}  // namespace pgmigrate::pipeline
