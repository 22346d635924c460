#pragma once
// The run's durable state: every path of $HOME/pg_migrate_state and $HOME/pg_verify_state is
// defined here. Markers and JSON files are written atomically; JSON read back is validated and
// a corrupt or foreign file is an error naming it, never silently trusted.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "pgmigrate/util/fd.hpp"

namespace pgmigrate::pipeline {

// Per-database markers in pg_migrate_state (file name "<encoded db>.<suffix>").
enum class Marker {
    created,                    // pg-migrate creates/created this target database (written just
                                // before CREATE DATABASE; safe to drop and redo)
    dumped,                     // regular dump complete
    restored,                   // regular restore complete
    done,                       // regular phase verified
    delayed_dumped,             // delayed-table data dump complete
    delayed_indexes_saved,      // index DDL of delayed tables saved (before any drop)
    delayed_indexes_dropped,    // secondary indexes of delayed tables dropped on the target
    delayed_restore_started,    // a delayed restore began (partial data possible)
    delayed_done,               // delayed data restored
    delayed_indexes_recreated,  // indexes re-created
};

const char* marker_suffix(Marker marker);

class StateStore {
  public:
    explicit StateStore(const std::filesystem::path& home);

    // Creates both directories (0700). Throws pgmigrate::Error (local) when it cannot.
    void prepare() const;

    const std::filesystem::path& migrate_dir() const { return migrate_dir_; }
    const std::filesystem::path& verify_dir() const { return verify_dir_; }

    bool has(const std::string& db, Marker marker) const;
    void mark(const std::string& db, Marker marker, const std::string& content = "") const;
    void clear(const std::string& db, Marker marker) const;

    // The regular phase verified (done + verify markers) / the delayed phase verified.
    bool regular_complete(const std::string& db) const;
    bool delayed_complete(const std::string& db) const;

    bool globals_done() const;
    void mark_globals_done() const;

    // Files in pg_verify_state: "<db>.src_counts.json", "<db>.verify", ...
    std::filesystem::path verify_file(const std::string& db, const std::string& suffix) const;
    bool verify_marker(const std::string& db, bool delayed) const;
    void mark_verified(const std::string& db, bool delayed, const std::string& report) const;
    void clear_verified(const std::string& db, bool delayed) const;

    // JSON documents: {"format": <format>, ...}. nullopt when absent; throws when unreadable,
    // unparsable or of another format.
    std::optional<nlohmann::json> read_json(const std::filesystem::path& path,
                                            const std::string& format) const;
    void write_json(const std::filesystem::path& path, const std::string& format,
                    nlohmann::json doc) const;
    void remove(const std::filesystem::path& path) const;

    // Settings the target had before pg-migrate changed them (see pipeline/settings).
    std::filesystem::path saved_settings_file() const { return migrate_dir_ / "dst_settings.json"; }
    std::filesystem::path lock_file() const { return migrate_dir_ / "lock"; }
    std::filesystem::path index_ddl_file(const std::string& db) const;

  private:
    std::filesystem::path marker_path(const std::string& db, Marker marker) const;

    std::filesystem::path migrate_dir_;
    std::filesystem::path verify_dir_;
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
