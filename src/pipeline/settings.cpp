#include "pgmigrate/pipeline/settings.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/util/cancel.hpp"

namespace pgmigrate::pipeline {
namespace {
constexpr const char* kFormat = "pg-migrate-target-settings/1";
}

const std::vector<FastRestoreSetting>& fast_restore_settings() {
    static const std::vector<FastRestoreSetting> settings = {
        {"fsync", "off"},
        {"synchronous_commit", "off"},
        {"full_page_writes", "off"},
        {"maintenance_work_mem", "2GB"},
        {"checkpoint_completion_target", "0.9"},
    };
    return settings;
}

void TargetSettings::restore_leftover() {
    if (!std::filesystem::exists(ctx_.state.saved_settings_file())) return;
    spdlog::warn("an earlier run left the target's settings changed; putting them back first");
    restore_from_file();
}

void TargetSettings::apply() {
    auto conn = ctx_.target(ctx_.options.to.dbname);
    nlohmann::json saved = nlohmann::json::array();
    for (const auto& s : fast_restore_settings()) {
        auto res = conn->query(pg::sql::kAutoConfSetting, {s.name});
        nlohmann::json item = {{"name", s.name}, {"auto_conf", nullptr}};
        if (res.rows() > 0) item["auto_conf"] = res.get(0, 0);
        saved.push_back(item);
    }
    // Durable before the first change: a crash from here on is repaired by restore_leftover().
    ctx_.state.write_json(ctx_.state.saved_settings_file(), kFormat,
                          {{"server", ctx_.options.to.describe()}, {"settings", saved}});
    for (const auto& s : fast_restore_settings())
        conn->execute(fmt::format("ALTER SYSTEM SET {} = {}", s.name, pg::quote_literal(s.value)));
    conn->execute("SELECT pg_reload_conf()");
    spdlog::info(
        "target fast-restore settings on (fsync, synchronous_commit, full_page_writes "
        "off; maintenance_work_mem 2GB); they are put back at the end");
}

void TargetSettings::restore_from_file() {
    cancel::Shield shield;  // must run even after Ctrl-C
    auto doc = ctx_.state.read_json(ctx_.state.saved_settings_file(), kFormat);
    if (!doc) return;
    // Never "restore" another server's values onto this one.
    std::string saved_for = doc->value("server", "");
    if (saved_for != ctx_.options.to.describe())
        throw Error(
            ExitCode::local,
            fmt::format("{} holds the settings of the {}, not of the {}; put them back there "
                        "(run pg-migrate against it) or delete the file",
                        ctx_.state.saved_settings_file().string(), saved_for,
                        ctx_.options.to.describe()));
    auto conn = ctx_.target(ctx_.options.to.dbname);
    for (const auto& item : (*doc)["settings"]) {
        std::string name = item.at("name").get<std::string>();
        bool known = false;
        for (const auto& s : fast_restore_settings()) known = known || name == s.name;
        if (!known)
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
