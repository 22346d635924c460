#include "pgmigrate/pipeline/steps.hpp"

#include <fmt/format.h>

#include <chrono>
#include <random>

namespace pgmigrate::pipeline {
namespace {
constexpr const char* kFormat = "pg-migrate-step/1";
}

const std::vector<StepInfo>& step_table() {
    using S = Step;
    static const std::vector<StepInfo> table = {
        {S::dumped,
         "dumped",
         "source (system identifier, database OID), pg_dump major, compression, the tables whose "
         "data it left out, its snapshot's table list, definition and foreign keys",
         {}},
        {S::created, "created", "target (system identifier), database name and OID", {}},
        {S::restored,
         "restored",
         "the dump and the created database it joined",
         {S::dumped, S::created}},
        {S::delayed_dumped, "delayed_dumped", "the regular dump it completes", {S::dumped}},
        {S::delayed_indexes_saved, "delayed_indexes_saved", "the restored database", {S::restored}},
        {S::delayed_indexes_dropped,
         "delayed_indexes_dropped",
         "the saved index list",
         {S::delayed_indexes_saved}},
        {S::delayed_restore_started,
         "delayed_restore_started",
         "the delayed dump and the restored database",
         {S::delayed_dumped, S::restored}},
        {S::delayed_restored,
         "delayed_restored",
         "the delayed dump and the restored database",
         {S::delayed_dumped, S::restored}},
        {S::delayed_indexes_recreated,
         "delayed_indexes_recreated",
         "the delayed load and the saved index list",
         {S::delayed_restored, S::delayed_indexes_saved}},
    };
    return table;
}

const StepInfo& step_info(Step step) {
    for (const auto& info : step_table())
        if (info.step == step) return info;
    throw std::logic_error("unknown step");
}

const char* step_name(Step step) {
    return step_info(step).marker;
}

nlohmann::json ServerIdentity::to_json() const {
    return {{"system_identifier", system_identifier}, {"address", address}};
}

ServerIdentity ServerIdentity::from_json(const nlohmann::json& j) {
    ServerIdentity id;
    if (j.is_object()) {
        id.system_identifier = j.value("system_identifier", "");
        id.address = j.value("address", "");
    }
    return id;
}

std::string new_execution_id() {
    static std::mt19937_64 rng{
        std::random_device{}() ^
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())};
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    return fmt::format("{:016x}", rng());
}

nlohmann::json make_marker(const std::string& db, Step step, const StepInputs& inputs,
                           const std::map<Step, std::string>& builds_on, nlohmann::json details) {
    nlohmann::json on = nlohmann::json::object();
    for (const auto& [s, exec] : builds_on) on[step_name(s)] = exec;
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    return {{"format", kFormat},
            {"database", db},
            {"step", step_name(step)},
            {"execution", new_execution_id()},
            {"made_at", static_cast<long long>(now)},
            {"source", inputs.source.to_json()},
            {"target", inputs.target.to_json()},
            {"source_db_oid", inputs.source_db_oid},
            {"pg_dump_major", inputs.pg_dump_major},
            {"compression", inputs.compression},
            {"builds_on", on},
            {"details", std::move(details)}};
}

namespace {

std::string describe(const ServerIdentity& id) {
    return fmt::format("{} (system identifier {})", id.address, id.system_identifier);
}

// Identity of both servers; a refusal when the state is another server pair's.
std::optional<std::string> identity_problem(const std::string& db, const nlohmann::json& doc,
                                            const StepInputs& in, ResumePlan& plan) {
    for (auto [field, now, side] :
         {std::tuple{"source", &in.source, "source"}, std::tuple{"target", &in.target, "target"}}) {
        auto then = ServerIdentity::from_json(doc.value(field, nlohmann::json()));
        if (!then.same_server(*now))
            return fmt::format(
                "the state of database \"{}\" ({}) was made with the {} server {}, but this "
                "run's {} is {}; run with --restart-database {} to migrate it again from "
                "scratch, or --reset-state to forget all state",
                db, doc.value("step", "?"), side, describe(then), side, describe(*now), db);
        if (then.address != now->address)
            plan.notes.push_back(
                fmt::format("the {} server moved from {} to {} (same system "
                            "identifier); keeping the state",
                            side, then.address, now->address));
    }
    return std::nullopt;
}

bool builds_on_kept(const nlohmann::json& doc, const std::map<Step, nlohmann::json>& markers,
                    const ResumePlan& plan, std::string& why) {
    const auto& on = doc.value("builds_on", nlohmann::json::object());
    for (auto it = on.begin(); it != on.end(); ++it) {
        for (const auto& info : step_table()) {
            if (it.key() != info.marker) continue;
            auto found = markers.find(info.step);
            if (!plan.keeps(info.step) || found == markers.end() ||
                found->second.value("execution", "") != it.value()) {
                why = fmt::format("it was made from a {} step that is redone", info.marker);
                return false;
            }
        }
    }
    return true;
}

}  // namespace

ResumePlan plan_resume(const std::string& db, const std::map<Step, nlohmann::json>& markers,
                       const StepInputs& in, const TargetDatabaseFacts& target) {
    ResumePlan plan;
    for (const auto& info : step_table()) {
        auto found = markers.find(info.step);
        if (found == markers.end()) continue;
        const auto& doc = found->second;
        if (auto refusal = identity_problem(db, doc, in, plan)) {
            plan.refusal = refusal;
            return plan;
        }
        std::string why;
        bool valid = builds_on_kept(doc, markers, plan, why);
        if (valid && info.step == Step::dumped) {
            if (doc.value("source_db_oid", "") != in.source_db_oid) {
                valid = false;
                why = fmt::format("the source database was re-created since (OID {} -> {})",
                                  doc.value("source_db_oid", "?"), in.source_db_oid);
            } else if (doc.value("pg_dump_major", 0) != in.pg_dump_major ||
                       doc.value("compression", "") != in.compression) {
                plan.notes.push_back(fmt::format(
                    "keeping the finished dump made with pg_dump {} and compression {} (this "
                    "run: pg_dump {}, {}); the options apply to new dumps",
                    doc.value("pg_dump_major", 0), doc.value("compression", "?"), in.pg_dump_major,
                    in.compression));
            }
        }
        if (valid && info.step == Step::created) {
            const auto& d = doc.value("details", nlohmann::json::object());
            std::string oid = d.value("oid", "");
            if (d.value("name", "") != db || !target.oid_of_name || *target.oid_of_name != oid) {
                valid = false;
                why = target.recorded_oid_exists
                          ? "it was left under a temporary name by an interrupted run"
                          : "the target database pg-migrate created (OID " + oid +
                                ") is no longer there";
            }
        }
        if (valid) {
            plan.keep.insert(info.step);
        } else {
            plan.redo.insert(info.step);
            plan.notes.push_back(fmt::format("redoing step {}: {}", info.marker, why));
        }
    }
    return plan;
}

}  // namespace pgmigrate::pipeline
