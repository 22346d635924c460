#pragma once
// The run's durable state: every path of $HOME/pg_migrate_state, $HOME/pg_verify_state and
// the dump root is defined here. Markers and JSON files are written atomically; JSON read back is
// validated and a corrupt or foreign file is an error naming it, never silently trusted.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pgmigrate/pipeline/steps.hpp"
#include "pgmigrate/util/fd.hpp"

namespace pgmigrate::pipeline {

// Files (db names are encoded for the file system, util::encode_file_name):
//   pg_migrate_state/<db>.<step marker>      step markers (pipeline/steps), JSON
//   pg_migrate_state/<db>.delayed_indexes.json  index DDL saved before the delayed load
//   pg_migrate_state/globals.done            roles migrated (JSON: the server pair)
//   pg_migrate_state/identity.json           the server pair this state belongs to
//   pg_migrate_state/dst_settings.json       target settings to put back
//   pg_verify_state/<db>.source_figures.json the source figures of one dump (by execution)
//   pg_verify_state/<db>.verify              the last verification's table, for humans only
//   <dump root>/<db>, <dump root>/<db>.delayed  the dumps
class StateStore {
  public:
    StateStore(const std::filesystem::path& home, const std::filesystem::path& dump_root);

    // Creates both directories (0700). Throws pgmigrate::Error (local) when it cannot.
    void prepare() const;

    const std::filesystem::path& migrate_dir() const { return migrate_dir_; }
    const std::filesystem::path& verify_dir() const { return verify_dir_; }

    // Step markers. read_markers returns every marker of db that exists; a marker that is not
    // a pg-migrate step document is an error naming the file.
    std::map<Step, nlohmann::json> read_markers(const std::string& db) const;
    std::optional<nlohmann::json> read_marker(const std::string& db, Step step) const;
    void write_marker(const std::string& db, Step step, const nlohmann::json& doc) const;
    void clear_marker(const std::string& db, Step step) const;
    bool has(const std::string& db, Step step) const;
    std::filesystem::path marker_path(const std::string& db, Step step) const;

    // Everything pg-migrate knows about db: markers, figures, saved indexes, dumps.
    void forget(const std::string& db) const;
    // Every created marker in the state (for --reset-state).
    std::vector<nlohmann::json> created_markers() const;
    // Forgets every database and the globals (keeps saved target settings and the lock).
    void forget_all() const;

    std::filesystem::path globals_file() const { return migrate_dir_ / "globals.done"; }
    std::filesystem::path identity_file() const { return migrate_dir_ / "identity.json"; }
    std::filesystem::path saved_settings_file() const { return migrate_dir_ / "dst_settings.json"; }
    std::filesystem::path lock_file() const { return migrate_dir_ / "lock"; }
    std::filesystem::path index_ddl_file(const std::string& db) const;
    std::filesystem::path source_figures_file(const std::string& db, bool delayed) const;
    std::filesystem::path verify_record_file(const std::string& db, bool delayed) const;
    std::filesystem::path dump_dir(const std::string& db) const;
    std::filesystem::path delayed_dump_dir(const std::string& db) const;
    std::filesystem::path restore_list_file(const std::string& db) const;

    // JSON documents: {"format": <format>, ...}. nullopt when absent; throws when unreadable,
    // unparsable or of another format.
    std::optional<nlohmann::json> read_json(const std::filesystem::path& path,
                                            const std::string& format) const;
    void write_json(const std::filesystem::path& path, const std::string& format,
                    nlohmann::json doc) const;
    void remove(const std::filesystem::path& path) const;
    void remove_tree(const std::filesystem::path& path) const;

  private:
    std::filesystem::path file(const std::filesystem::path& dir, const std::string& db,
                               const std::string& suffix) const;
    std::filesystem::path migrate_dir_;
    std::filesystem::path verify_dir_;
    std::filesystem::path dump_root_;
};

// One run at a time per $HOME: an flock on pg_migrate_state/lock holding the owner's PID.
// A lock left by a dead process is free again (the kernel dropped the flock).
class RunLock {
  public:
    // Throws pgmigrate::Error (local) naming the holder's PID when another run holds it.
    explicit RunLock(const std::filesystem::path& path);
    ~RunLock();
    RunLock(const RunLock&) = delete;
    RunLock& operator=(const RunLock&) = delete;

  private:
    util::Fd fd_;
};

}  // namespace pgmigrate::pipeline
