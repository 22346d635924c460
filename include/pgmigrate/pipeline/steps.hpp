#pragma once
// The one vocabulary of a database's resumable work: each step, the marker that records it,
// the inputs it was made under and what redoing it invalidates. A marker is a JSON document
// holding those inputs and a unique execution id; plan_resume() compares them with this run's
// and decides, per step, keep or redo, or refuses the database with the way forward.
//
// Verification is not a step: every run verifies every database it reports, against the source
// figures of the dump that is on the target (see pipeline/database_task).
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pgmigrate::pipeline {

enum class Step {
    dumped,                     // regular pg_dump finished (its snapshot's facts inside)
    created,                    // the target database pg-migrate created (name + OID)
    restored,                   // regular pg_restore of that dump into that database finished
    delayed_dumped,             // data of the tables the dump left out, dumped
    delayed_indexes_saved,      // their secondary index DDL saved (before any drop)
    delayed_indexes_dropped,    // those indexes dropped on the target
    delayed_restore_started,    // a delayed load began (partial rows possible)
    delayed_restored,           // delayed load finished
    delayed_indexes_recreated,  // indexes re-created, deferred foreign keys validated
};

struct StepInfo {
    Step step;
    const char* marker;           // file suffix in pg_migrate_state
    const char* made_under;       // the inputs it records, for humans
    std::vector<Step> builds_on;  // steps whose execution it used
};

// In pipeline order; a step is valid only while every step it builds on is.
const std::vector<StepInfo>& step_table();
const StepInfo& step_info(Step step);
const char* step_name(Step step);

// A server as a state file remembers it: system_identifier decides identity, the address is
// for messages (a changed address with the same identifier is noted, not refused).
struct ServerIdentity {
    std::string system_identifier;
    std::string address;  // host:port
    nlohmann::json to_json() const;
    static ServerIdentity from_json(const nlohmann::json& j);
    bool same_server(const ServerIdentity& other) const {
        return system_identifier == other.system_identifier;
    }
};

// This run's inputs for one database.
struct StepInputs {
    ServerIdentity source, target;
    std::string source_db_oid;  // the source database's OID now (a re-created one differs)
    int pg_dump_major = 0;
    std::string compression;
};

// A new marker document for step, made under inputs, building on the given executions.
nlohmann::json make_marker(const std::string& db, Step step, const StepInputs& inputs,
                           const std::map<Step, std::string>& builds_on,
                           nlohmann::json details = nlohmann::json::object());
std::string new_execution_id();

struct ResumePlan {
    std::set<Step> keep;                 // valid markers: the step is not redone
    std::set<Step> redo;                 // markers to clear before the run does the step again
    std::vector<std::string> notes;      // what changed and what happens because of it
    std::optional<std::string> refusal;  // the database cannot proceed: why and what to do
    bool keeps(Step s) const { return keep.count(s) > 0; }
};

// What the target says about the database a created marker names.
struct TargetDatabaseFacts {
    std::optional<std::string> oid_of_name;  // OID of the database with that name, if any
    bool recorded_oid_exists = false;        // a database with the recorded OID exists
};

// Decides from the markers found (step -> document) and this run's inputs.
ResumePlan plan_resume(const std::string& db, const std::map<Step, nlohmann::json>& markers,
                       const StepInputs& inputs, const TargetDatabaseFacts& target);

}  // namespace pgmigrate::pipeline
