#include "pgmigrate/pipeline/state.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pgmigrate/util/atomic_file.hpp"
#include "pgmigrate/util/error.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pipeline {
namespace fs = std::filesystem;

const char* marker_suffix(Marker marker) {
    switch (marker) {
        case Marker::created:
            return "created";
        case Marker::dumped:
            return "dumped";
        case Marker::restored:
            return "restored";
        case Marker::done:
            return "done";
        case Marker::delayed_dumped:
            return "delayed_dumped";
        case Marker::delayed_indexes_saved:
            return "delayed_indexes_saved";
        case Marker::delayed_indexes_dropped:
            return "delayed_indexes_dropped";
        case Marker::delayed_restore_started:
            return "delayed_restore_started";
        case Marker::delayed_done:
            return "delayed_done";
        case Marker::delayed_indexes_recreated:
            return "delayed_indexes_recreated";
    }
    return "unknown";
}

StateStore::StateStore(const fs::path& home)
    : migrate_dir_(home / "pg_migrate_state"), verify_dir_(home / "pg_verify_state") {}

void StateStore::prepare() const {
    for (const auto& dir : {migrate_dir_, verify_dir_}) {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec || !fs::is_directory(dir))
            throw Error(ExitCode::local, fmt::format("cannot create state directory {}: {}",
                                                     dir.string(), ec.message()));
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
        if (::access(dir.c_str(), W_OK) != 0)
            throw Error(ExitCode::local, fmt::format("state directory {} is not writable: {}",
                                                     dir.string(), std::strerror(errno)));
    }
}

fs::path StateStore::marker_path(const std::string& db, Marker marker) const {
    return migrate_dir_ / (util::encode_file_name(db) + "." + marker_suffix(marker));
}

bool StateStore::has(const std::string& db, Marker marker) const {
    return fs::exists(marker_path(db, marker));
}

void StateStore::mark(const std::string& db, Marker marker, const std::string& content) const {
    util::write_file_atomic(marker_path(db, marker), content.empty() ? db + "\n" : content);
}

void StateStore::clear(const std::string& db, Marker marker) const {
    remove(marker_path(db, marker));
}

bool StateStore::regular_complete(const std::string& db) const {
    return has(db, Marker::done) && verify_marker(db, false);
}

bool StateStore::delayed_complete(const std::string& db) const {
    return has(db, Marker::delayed_done) && has(db, Marker::delayed_indexes_recreated) &&
           verify_marker(db, true);
}

bool StateStore::globals_done() const {
    return fs::exists(migrate_dir_ / "globals.done");
}
void StateStore::mark_globals_done() const {
    util::write_file_atomic(migrate_dir_ / "globals.done", "globals\n");
}

fs::path StateStore::verify_file(const std::string& db, const std::string& suffix) const {
    return verify_dir_ / (util::encode_file_name(db) + "." + suffix);
}

bool StateStore::verify_marker(const std::string& db, bool delayed) const {
    return fs::exists(verify_file(db, delayed ? "delayed_verify" : "verify"));
}

void StateStore::mark_verified(const std::string& db, bool delayed,
                               const std::string& report) const {
    util::write_file_atomic(verify_file(db, delayed ? "delayed_verify" : "verify"), report);
}

void StateStore::clear_verified(const std::string& db, bool delayed) const {
    remove(verify_file(db, delayed ? "delayed_verify" : "verify"));
}

fs::path StateStore::index_ddl_file(const std::string& db) const {
    return migrate_dir_ / (util::encode_file_name(db) + ".delayed_indexes.json");
}

std::optional<nlohmann::json> StateStore::read_json(const fs::path& path,
                                                    const std::string& format) const {
    auto text = util::read_file(path);
    if (!text) return std::nullopt;
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(*text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(ExitCode::local,
                    fmt::format("state file {} is corrupt ({}); delete it to redo that step",
                                path.string(), e.what()));
    }
    if (!doc.is_object() || !doc.contains("format") || doc["format"] != format)
        throw Error(ExitCode::local,
                    fmt::format("state file {} is not a pg-migrate '{}' file; delete it to redo "
                                "that step",
                                path.string(), format));
    return doc;
}

void StateStore::write_json(const fs::path& path, const std::string& format,
                            nlohmann::json doc) const {
    doc["format"] = format;
    util::write_file_atomic(path, doc.dump(2) + "\n");
}

void StateStore::remove(const fs::path& path) const {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec)
        throw Error(ExitCode::local,
                    fmt::format("cannot remove {}: {}", path.string(), ec.message()));
}

RunLock::RunLock(const fs::path& path)
    : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (!fd_.valid())
        throw Error(ExitCode::local, fmt::format("cannot open lock file {}: {}", path.string(),
                                                 std::strerror(errno)));
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
        std::string holder = util::trim(util::read_file(path).value_or("?"));
        throw Error(ExitCode::local,
                    fmt::format("another pg-migrate run (PID {}) holds {}; wait for it to finish "
                                "or stop it",
                                holder.empty() ? "?" : holder, path.string()));
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_.get(), 0) == 0) {
        ssize_t ignored = ::pwrite(fd_.get(), pid.data(), pid.size(), 0);
        (void)ignored;
    }
}

RunLock::~RunLock() {
    // The PID is wiped while the lock is still held; fd_ closes after this and releases it.
    if (fd_.valid()) {
        int ignored = ::ftruncate(fd_.get(), 0);
        (void)ignored;
    }
}

}  // namespace pgmigrate::pipeline
