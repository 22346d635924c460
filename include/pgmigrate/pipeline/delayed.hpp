#pragma once
// The delayed phase's index handling: the CREATE INDEX DDL of every non-constraint index of
// the delayed tables is saved durably before any is dropped, then re-created in parallel.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pgmigrate/pipeline/table.hpp"

namespace pgmigrate::pg {
class Connection;
}

namespace pgmigrate::pipeline {

class Context;

struct SavedIndex {
    std::string schema, name;  // the index
    TableKey table;
    std::string ddl;  // pg_get_indexdef output
};

// Reads the indexes of tables from the source and saves them durably (before any is dropped).
std::vector<SavedIndex> save_delayed_indexes(Context& ctx, const std::string& db,
                                             const std::set<TableKey>& tables);
// The list saved earlier; an error when the file is gone.
std::vector<SavedIndex> read_saved_indexes(Context& ctx, const std::string& db);
void drop_indexes(Context& ctx, const std::string& db, const std::vector<SavedIndex>& indexes);
// Re-creates missing indexes, at most --restore-jobs at a time.
void recreate_indexes(Context& ctx, const std::string& db, const std::vector<SavedIndex>& indexes);
// A foreign key that references a delayed table. The regular restore cannot create it (the
// referenced rows arrive later), so it is left out of pg_restore's list, added NOT VALID right
// after the regular restore (it guards new rows at once) and validated after the delayed load.
struct DeferredForeignKey {
    std::string oid;  // pg_constraint oid on the source = the dump's TOC catalog id
    std::string schema, table, name, definition;
    bool validated = true;
};

// Read over the source connection in the dump's snapshot (inside its transaction).
std::vector<DeferredForeignKey> foreign_keys_to_defer(pg::Connection& source,
                                                      const std::set<TableKey>& delayed);
nlohmann::json foreign_keys_to_json(const std::vector<DeferredForeignKey>& keys);
std::vector<DeferredForeignKey> foreign_keys_from_json(const nlohmann::json& doc);
// pg_restore -l output with the FK CONSTRAINT entries of these oids commented out.
std::string exclude_from_restore_list(const std::string& list,
                                      const std::vector<DeferredForeignKey>& keys);
void add_foreign_keys_not_valid(Context& ctx, const std::string& db,
                                const std::vector<DeferredForeignKey>& keys);
void validate_foreign_keys(Context& ctx, const std::string& db,
                           const std::vector<DeferredForeignKey>& keys);

// Sets the target's sequences owned by the delayed tables to the source's positions.
void sync_sequences(Context& ctx, const std::string& db, const std::set<TableKey>& tables);

}  // namespace pgmigrate::pipeline
