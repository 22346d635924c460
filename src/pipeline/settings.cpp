#include "pgmigrate/pipeline/settings.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/pipeline/preflight.hpp"
#include "pgmigrate/util/cancel.hpp"

namespace pgmigrate::pipeline {
namespace {
constexpr const char* kFormat = "pg-migrate-target-settings/1";
constexpr long long kMiB = 1LL << 20;
constexpr long long kMinMaintenanceWorkMem = 64 * kMiB;  // PostgreSQL's default
constexpr long long kMaxMaintenanceWorkMem = 2048 * kMiB;

// (content) of a file on the target's machine, NULL when missing; needs superuser (or
// pg_read_server_files). /proc files report size 0, so the length is given explicitly.
constexpr const char* kReadServerFile = "SELECT pg_read_file($1, 0, 1048576, true)";
// (bytes, max_parallel_workers)
constexpr const char* kMachineSettings = R"SQL(
SELECT pg_size_bytes(current_setting('shared_buffers')),
       current_setting('max_parallel_workers')::int)SQL";
// (maintenance_work_mem bytes, max_parallel_maintenance_workers)
constexpr const char* kCurrentSettings = R"SQL(
SELECT pg_size_bytes(current_setting('maintenance_work_mem')),
       current_setting('max_parallel_maintenance_workers')::int)SQL";
// (wal_level, max_wal_senders, archive_mode, replication connections now)
constexpr const char* kWalSettings = R"SQL(
SELECT current_setting('wal_level'), current_setting('max_wal_senders')::int,
       current_setting('archive_mode'), (SELECT count(*) FROM pg_stat_replication))SQL";

std::string mib_text(long long bytes) {
    return fmt::format("{}MB", bytes / kMiB);
}

std::string gib_text(long long bytes) {
    return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1024.0 * kMiB));
}
}  // namespace

const std::vector<std::string>& managed_setting_names() {
    static const std::vector<std::string> names = {
        "maintenance_work_mem", "max_parallel_maintenance_workers",
        // Changed by pg-migrate 0.1/0.2; kept so their state files are still put back.
        "fsync", "synchronous_commit", "full_page_writes", "checkpoint_completion_target"};
    return names;
}

std::optional<long long> parse_meminfo_total(const std::string& meminfo) {
    std::istringstream in(meminfo);
    std::string key, unit;
    long long value = 0;
    while (in >> key >> value) {
        std::getline(in, unit);
        if (key == "MemTotal:") {
            if (value <= 0) return std::nullopt;
            return value * 1024;  // kB
        }
    }
    return std::nullopt;
}

std::optional<int> parse_cpuinfo_cores(const std::string& cpuinfo) {
    std::istringstream in(cpuinfo);
    std::string line;
    int n = 0;
    while (std::getline(in, line))
        if (line.rfind("processor", 0) == 0 && line.find(':') != std::string::npos) ++n;
    if (n == 0) return std::nullopt;
    return n;
}

std::optional<long long> parse_cgroup_memory_max(const std::string& text) {
    // "max\n" (no limit) or the limit in bytes
    try {
        size_t used = 0;
        long long v = std::stoll(text, &used);
        if (v <= 0) return std::nullopt;
        return v;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<int> parse_cgroup_cpu_max(const std::string& text) {
    // "max 100000" (no limit) or "QUOTA PERIOD" in microseconds
    std::istringstream in(text);
    std::string quota;
    long long period = 0;
    if (!(in >> quota >> period) || quota == "max" || period <= 0) return std::nullopt;
    try {
        long long q = std::stoll(quota);
        if (q <= 0) return std::nullopt;
        return static_cast<int>(std::max<long long>(1, (q + period - 1) / period));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::vector<ChosenSetting> choose_target_settings(const TargetMachine& machine,
                                                  const CurrentSettings& current, int restore_jobs,
                                                  int restore_parallel) {
    std::vector<ChosenSetting> out;
    const long long builds =
        static_cast<long long>(std::max(restore_jobs, 1)) * std::max(restore_parallel, 1);

    // A quarter of the memory for all concurrent index builds together: each pg_restore job
    // builds one index at a time, so at most restore_jobs x restore_parallel run at once.
    // A parallel build shares its maintenance_work_mem among its workers, so the workers do
    // not multiply it.
    long long memory = machine.memory_bytes.value_or(4 * machine.shared_buffers_bytes);
    long long per_build = std::clamp(memory / 4 / builds / kMiB * kMiB, kMinMaintenanceWorkMem,
                                     kMaxMaintenanceWorkMem);
    std::string mem_why =
        fmt::format("{} memory ({}) / 4 / {} concurrent index builds ({} x {})", gib_text(memory),
                    machine.memory_source, builds, restore_jobs, restore_parallel);
    if (per_build > current.maintenance_work_mem_bytes)
        out.push_back({"maintenance_work_mem", mib_text(per_build), mem_why});
    else
        spdlog::info(
            "target maintenance_work_mem stays {} (not below its own value; sizing "
            "gave {} = {})",
            mib_text(current.maintenance_work_mem_bytes), mib_text(per_build), mem_why);

    // Parallel workers only pay when there are idle cores: with as many concurrent builds as
    // cores or more, each worker competes with another build (measured on 2 cores, see
    // bench/README.md).
    if (machine.cores) {
        long long spare = std::max<long long>(0, *machine.cores / builds - 1);
        int workers = static_cast<int>(
            std::min<long long>(spare, std::max(0, std::min(machine.max_parallel_workers, 8))));
        if (workers != current.max_parallel_maintenance_workers)
            out.push_back({"max_parallel_maintenance_workers", std::to_string(workers),
                           fmt::format("{} cores ({}) / {} concurrent index builds, minus the "
                                       "leader, at most max_parallel_workers ({})",
                                       *machine.cores, machine.cores_source, builds,
                                       machine.max_parallel_workers)});
    } else {
        spdlog::info(
            "target max_parallel_maintenance_workers stays {} (the target's cores are "
            "unknown)",
            current.max_parallel_maintenance_workers);
    }
    return out;
}

std::string wal_level_advice(const std::string& wal_level, int max_wal_senders,
                             const std::string& archive_mode, int replication_connections) {
    if (wal_level == "minimal") return "";
    if (replication_connections > 0)
        return "";  // standbys read this server's WAL: minimal is not an option
    std::string extra = archive_mode != "off" ? ", archive_mode = off" : "";
    return fmt::format(
        "the target has wal_level = {}{}: restarting it with wal_level = minimal, "
        "max_wal_senders = 0{} for the migration makes the data load write almost no WAL "
        "(parallel pg_restore runs each table's TRUNCATE and COPY in one transaction); "
        "restart it with its usual settings afterwards and take a base backup",
        wal_level,
        max_wal_senders > 0 ? fmt::format(", max_wal_senders = {}", max_wal_senders) : "", extra);
}

void log_wal_level_advice(Context& ctx) {
    try {
        auto conn = ctx.target(ctx.options.to.dbname);
        auto res = conn->query(kWalSettings);
        std::string advice = wal_level_advice(res.get(0, 0), static_cast<int>(res.get_int(0, 1)),
                                              res.get(0, 2), static_cast<int>(res.get_int(0, 3)));
        if (!advice.empty()) spdlog::info("{}", advice);
    } catch (const Cancelled&) {
        throw;
    } catch (const std::exception& e) {
        spdlog::debug("could not read the target's wal_level: {}", e.what());
    }
}

TargetMachine TargetSettings::read_machine() {
    auto conn = ctx_.target(ctx_.options.to.dbname);
    TargetMachine m;
    auto base = conn->query(kMachineSettings);
    m.shared_buffers_bytes = base.get_int(0, 0);
    m.max_parallel_workers = static_cast<int>(base.get_int(0, 1));
    auto read = [&](const std::string& path) -> std::optional<std::string> {
        try {
            auto res = conn->query(kReadServerFile, {path});
            if (res.rows() == 0 || res.is_null(0, 0)) return std::nullopt;
            return res.get(0, 0);
        } catch (const pg::PgError& e) {  // not Linux, not allowed: guess instead
            spdlog::debug("cannot read {} on the target: {}", path, e.what());
            return std::nullopt;
        }
    };
    // What the whole machine has, or its cgroup's limit (cgroup v2) when that is lower.
    auto machine_or_cgroup = [&](auto& value, std::string& source, const char* machine_file,
                                 auto parse_machine, const std::string& cgroup_file,
                                 auto parse_cgroup) {
        if (auto t = read(machine_file)) {
            value = parse_machine(*t);
            source = machine_file;
        }
        if (auto t = read("/sys/fs/cgroup/" + cgroup_file)) {
            auto limit = parse_cgroup(*t);
            if (limit && (!value || *limit < *value)) {
                value = limit;
                source = "cgroup " + cgroup_file;
            }
        }
    };
    machine_or_cgroup(m.memory_bytes, m.memory_source, "/proc/meminfo", parse_meminfo_total,
                      "memory.max", parse_cgroup_memory_max);
    if (!m.memory_bytes) m.memory_source = "guessed as 4 x shared_buffers";
    machine_or_cgroup(m.cores, m.cores_source, "/proc/cpuinfo", parse_cpuinfo_cores, "cpu.max",
                      parse_cgroup_cpu_max);
    return m;
}

CurrentSettings TargetSettings::read_current() {
    auto conn = ctx_.target(ctx_.options.to.dbname);
    auto res = conn->query(kCurrentSettings);
    return {res.get_int(0, 0), static_cast<int>(res.get_int(0, 1))};
}

void TargetSettings::restore_leftover() {
    if (!std::filesystem::exists(ctx_.state.saved_settings_file())) return;
    restore_from_file(
        "an earlier run left the target's settings changed; putting them back first");
}

// Never "restore" another server's values onto this one: the file names the server by its
// system identifier (as the step markers do), so a server that replaced it at the same address
// is refused and the same server at a new address is accepted. A file of an older release
// without the identifier is checked by address.
void TargetSettings::check_saved_for_this_server(const nlohmann::json& doc,
                                                 pg::Connection& conn) const {
    const auto file = ctx_.state.saved_settings_file().string();
    std::string saved_for = doc.value("server", "");
    if (doc.contains("target")) {
        auto saved = ServerIdentity::from_json(doc.at("target"));
        auto now = read_identity(conn);
        if (!saved.same_server(now))
            throw Error(ExitCode::local,
                        fmt::format("{} holds the settings of another server (system identifier "
                                    "{}, then at {}) than the {} (system identifier {}); put "
                                    "them back there (run pg-migrate against it) or delete the "
                                    "file",
                                    file, saved.system_identifier, saved.address,
                                    ctx_.options.to.describe(), now.system_identifier));
        if (saved.address != now.address)
            spdlog::info("{}: the target moved from {} to {} (same system identifier)", file,
                         saved.address, now.address);
        return;
    }
    if (saved_for != ctx_.options.to.describe())
        throw Error(
            ExitCode::local,
            fmt::format("{} holds the settings of the {}, not of the {}; put them back there "
                        "(run pg-migrate against it) or delete the file",
                        file, saved_for, ctx_.options.to.describe()));
}

void TargetSettings::apply() {
    auto chosen = choose_target_settings(read_machine(), read_current(), ctx_.options.restore_jobs,
                                         ctx_.options.restore_parallel);
    if (chosen.empty()) {
        spdlog::info("target settings: nothing to change for the load");
        return;
    }
    auto conn = ctx_.target(ctx_.options.to.dbname);
    nlohmann::json saved = nlohmann::json::array();
    for (const auto& s : chosen) {
        auto res = conn->query(pg::sql::kAutoConfSetting, {s.name});
        nlohmann::json item = {{"name", s.name}, {"auto_conf", nullptr}};
        if (res.rows() > 0) item["auto_conf"] = res.get(0, 0);
        saved.push_back(item);
    }
    // Durable before the first change: a crash from here on is repaired by restore_leftover().
    ctx_.state.write_json(ctx_.state.saved_settings_file(), kFormat,
                          {{"server", ctx_.options.to.describe()},
                           {"target", read_identity(*conn).to_json()},
                           {"settings", saved}});
    for (const auto& s : chosen)
        conn->execute(fmt::format("ALTER SYSTEM SET {} = {}", s.name, pg::quote_literal(s.value)));
    conn->execute("SELECT pg_reload_conf()");
    for (const auto& s : chosen)
        spdlog::info("target {} = {} for the load ({}); put back at the end", s.name, s.value,
                     s.why);
}

void TargetSettings::restore_from_file(const char* warning) {
    cancel::Shield shield;  // must run even after Ctrl-C
    auto doc = ctx_.state.read_json(ctx_.state.saved_settings_file(), kFormat);
    if (!doc) return;
    auto conn = ctx_.target(ctx_.options.to.dbname);
    check_saved_for_this_server(*doc, *conn);
    if (warning) spdlog::warn("{}", warning);  // only once the file is known to be this server's
    const auto& known_names = managed_setting_names();
    for (const auto& item : (*doc)["settings"]) {
        std::string name = item.at("name").get<std::string>();
        if (std::find(known_names.begin(), known_names.end(), name) == known_names.end())
            throw Error(ExitCode::local,
                        fmt::format("{} names an unexpected setting '{}'",
                                    ctx_.state.saved_settings_file().string(), name));
        if (item.at("auto_conf").is_null())
            conn->execute(fmt::format("ALTER SYSTEM RESET {}", name));
        else
            conn->execute(fmt::format("ALTER SYSTEM SET {} = {}", name,
                                      pg::quote_literal(item["auto_conf"].get<std::string>())));
    }
    conn->execute("SELECT pg_reload_conf()");
    ctx_.state.remove(ctx_.state.saved_settings_file());
    spdlog::info("target settings put back as they were");
}

void TargetSettings::restore() noexcept {
    try {
        restore_from_file();
    } catch (const std::exception& e) {
        spdlog::error(
            "could not put the target's settings back: {}; they stay saved in {} and "
            "the next run puts them back first",
            e.what(), ctx_.state.saved_settings_file().string());
    }
}

}  // namespace pgmigrate::pipeline
