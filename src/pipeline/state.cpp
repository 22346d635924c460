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

namespace {
constexpr const char* kStepFormat = "pg-migrate-step/1";

void throw_if_not_removed(const fs::path& path, const std::error_code& ec) {
    if (ec)
        throw Error(ExitCode::local,
                    fmt::format("cannot remove {}: {}", path.string(), ec.message()));
}
}  // namespace

StateStore::StateStore(const fs::path& home, const fs::path& dump_root)
    : migrate_dir_(home / "pg_migrate_state"),
      verify_dir_(home / "pg_verify_state"),
      dump_root_(dump_root) {}

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

fs::path StateStore::file(const fs::path& dir, const std::string& db,
                          const std::string& suffix) const {
    return dir / (util::encode_file_name(db) + suffix);
}

fs::path StateStore::marker_path(const std::string& db, Step step) const {
    return file(migrate_dir_, db, std::string(".") + step_name(step));
}

std::optional<nlohmann::json> StateStore::read_marker(const std::string& db, Step step) const {
    auto path = marker_path(db, step);
    auto text = util::read_file(path);
    if (!text) return std::nullopt;
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(*text);
    } catch (const nlohmann::json::exception&) {
    }
    if (!doc.is_object() || doc.value("format", "") != kStepFormat ||
        doc.value("database", "") != db)
        throw Error(ExitCode::local,
                    fmt::format("state file {} is not a pg-migrate step marker for database "
                                "\"{}\" (corrupt, or from an older pg-migrate that did not record "
                                "its inputs); run with --restart-database {} or --reset-state",
                                path.string(), db, db));
    return doc;
}

std::map<Step, nlohmann::json> StateStore::read_markers(const std::string& db) const {
    std::map<Step, nlohmann::json> out;
    for (const auto& info : step_table())
        if (auto doc = read_marker(db, info.step)) out.emplace(info.step, std::move(*doc));
    return out;
}

void StateStore::write_marker(const std::string& db, Step step, const nlohmann::json& doc) const {
    util::write_file_atomic(marker_path(db, step), doc.dump(1) + "\n");
}

void StateStore::clear_marker(const std::string& db, Step step) const {
    remove(marker_path(db, step));
}

bool StateStore::has(const std::string& db, Step step) const {
    return fs::exists(marker_path(db, step));
}

fs::path StateStore::index_ddl_file(const std::string& db) const {
    return file(migrate_dir_, db, ".delayed_indexes.json");
}
fs::path StateStore::source_figures_file(const std::string& db, bool delayed) const {
    return file(verify_dir_, db, delayed ? ".delayed_source_figures.json" : ".source_figures.json");
}
fs::path StateStore::verify_record_file(const std::string& db, bool delayed) const {
    return file(verify_dir_, db, delayed ? ".delayed_verify" : ".verify");
}
fs::path StateStore::dump_dir(const std::string& db) const {
    return dump_root_ / util::encode_file_name(db);
}
fs::path StateStore::delayed_dump_dir(const std::string& db) const {
    return dump_root_ / (util::encode_file_name(db) + ".delayed");
}
fs::path StateStore::restore_list_file(const std::string& db) const {
    return dump_dir(db) / "pg-migrate-restore.list";
}

void StateStore::forget(const std::string& db) const {
    for (const auto& info : step_table()) remove(marker_path(db, info.step));
    remove(index_ddl_file(db));
    for (bool delayed : {false, true}) {
        remove(source_figures_file(db, delayed));
        remove(verify_record_file(db, delayed));
    }
    remove_tree(dump_dir(db));
    remove_tree(delayed_dump_dir(db));
}

std::vector<nlohmann::json> StateStore::created_markers() const {
    std::vector<nlohmann::json> out;
    std::error_code ec;
    const std::string suffix = std::string(".") + step_name(Step::created);
    for (const auto& entry : fs::directory_iterator(migrate_dir_, ec)) {
        auto name = entry.path().filename().string();
        if (name.size() <= suffix.size() ||
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        try {
            auto doc = nlohmann::json::parse(util::read_file(entry.path()).value_or(""));
            if (doc.is_object() && doc.value("format", "") == kStepFormat) out.push_back(doc);
        } catch (const nlohmann::json::exception&) {
        }
    }
    return out;
}

void StateStore::forget_all() const {
    std::error_code ec;
    std::vector<fs::path> doomed;
    for (const auto& dir : {migrate_dir_, verify_dir_})
        for (const auto& entry : fs::directory_iterator(dir, ec))
            if (entry.path() != saved_settings_file() && entry.path() != lock_file())
                doomed.push_back(entry.path());
    // The dumps of the databases the markers name (the dump root may hold other files).
    for (const auto& p : doomed) {
        if (p.parent_path() != migrate_dir_) continue;
        std::string name = p.filename().string();
        for (const auto& info : step_table()) {
            std::string suffix = std::string(".") + info.marker;
            if (name.size() > suffix.size() &&
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
                std::string encoded = name.substr(0, name.size() - suffix.size());
                remove_tree(dump_root_ / encoded);
                remove_tree(dump_root_ / (encoded + ".delayed"));
            }
        }
    }
    for (const auto& p : doomed) remove_tree(p);
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

void StateStore::remove_tree(const fs::path& path) const {
    std::error_code ec;
    fs::remove_all(path, ec);
    throw_if_not_removed(path, ec);
}

void StateStore::remove(const fs::path& path) const {
    std::error_code ec;
    fs::remove(path, ec);
    throw_if_not_removed(path, ec);
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
