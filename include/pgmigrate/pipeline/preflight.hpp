#pragma once
// Before any work: what each server is (version, identity, superuser, free connections), which
// client tools serve both, the dump compression, and the connection budget fitted to the
// servers. Shared by a run, `plan` and `verify`; it changes nothing on either server.
#include <string>
#include <vector>

#include "pgmigrate/pg/endpoint.hpp"
#include "pgmigrate/pipeline/budget.hpp"
#include "pgmigrate/pipeline/config.hpp"
#include "pgmigrate/pipeline/steps.hpp"
#include "pgmigrate/process/pg_tools.hpp"

namespace pgmigrate::pipeline {

struct ServerFacts {
    int major = 0;
    std::string version_text;  // "15.18"
    ServerIdentity identity;
    ServerLimits limits;
    bool superuser = false;
};

// One connection to the endpoint's maintenance database, closed again. Throws PgError.
ServerFacts inspect_server(const pg::Endpoint& endpoint);
// The server's system identifier (its address before 9.6, where no SQL function tells it).
ServerIdentity read_identity(pg::Connection& conn);

struct Preflight {
    ServerFacts source, target;
    process::ClientTools tools;
    std::string compression_argument;  // pg_dump -Z value
    std::string compression;           // as the operator reads it ("zstd:5", "none")
    std::string compression_method;    // "zstd", "gzip", "lz4", "none"
    Budget budget;
    std::vector<std::string> budget_notes;  // each lowered flag
};

// Inspects both servers, chooses tools and compression, fits the budget, and logs each. Throws
// pgmigrate::Error for what blocks a run (tools too old, target user not a superuser, no room
// for even one connection per side).
Preflight run_preflight(const Config& config);

}  // namespace pgmigrate::pipeline
