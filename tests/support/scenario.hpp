#pragma once
// A source server filled with the awkward cases a real server has: roles, a database with an
// awkward name, one owned by a non-superuser, one with non-default encoding, comment, grants,
// settings and a connection limit. Shared by the integration tests.
#include <filesystem>
#include <string>
#include <vector>

#include "pg_server.hpp"

namespace pgtest {

inline const std::string kAwkwardDb = "My \"Odd\" DB é";

// The databases fill_source creates.
std::vector<std::string> scenario_databases();
// Roles and databases with data (rows_per_table rows in each big-ish table).
void fill_source(PgServer& source, int rows_per_table = 2000);
// count(*) of every user table of db, "schema.table=N" lines.
std::string table_counts(const PgServer& server, const std::string& db);
// "name: CREATE INDEX ..." of every user index of db, sorted.
std::string table_indexes(const PgServer& server, const std::string& db);
// The values of the settings pg-migrate changes plus postgresql.auto.conf's content for them.
std::string target_settings(const PgServer& server);

// A source filled by fill_source, an empty target and a HOME for pg-migrate's state.
struct ScenarioPair {
    PgServer source;
    PgServer target;
    TempDir home;
    ScenarioPair(const std::string& prefix, int rows_per_table = 2000)
        : source({.name = prefix + "src", .password = "Src-Pw-" + prefix}),
          target({.name = prefix + "dst", .password = "Dst-Pw-" + prefix}),
          home("pgm-" + prefix) {
        fill_source(source, rows_per_table);
    }
    // Runs pg-migrate again and checks it completes with every table's rows on the target.
    void expect_complete_rerun(const std::vector<std::string>& args = {});
};

// Mounts a small tmpfs (full-disk and read-only cases) and unmounts it when destroyed.
class TmpfsMount {
  public:
    TmpfsMount(const std::filesystem::path& where, const std::string& options);
    ~TmpfsMount();
    bool mounted() const { return mounted_; }

  private:
    std::filesystem::path where_;
    bool mounted_ = false;
};

}  // namespace pgtest
