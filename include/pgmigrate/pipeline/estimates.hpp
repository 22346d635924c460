#pragma once
// Rough figures an operator plans with before and during a run, made in one place so that
// `plan`, the live view and the report agree. Each says how it is made.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace pgmigrate::pipeline {

// Bytes a pg_dump -Fd of a database of db_size_bytes (pg_database_size) takes on disk:
// db_size x factor, the factor from the compression method (dump_size_factor). The dump has no
// index data and no free space, so even uncompressed it is smaller than the database.
double dump_size_factor(const std::string& compression_method);
std::uint64_t estimated_dump_bytes(std::uint64_t db_size_bytes,
                                   const std::string& compression_method);

// Throughput assumed by estimated_duration, per database lane, from the benchmark in the
// README (2 vCPU, both servers on one host): pg_dump reads about 200 MiB/s, pg_restore with its
// index builds writes about 60 MiB/s; each database costs about 1 s more (create, counts).
inline constexpr double kAssumedDumpBytesPerSecond = 200.0 * 1024 * 1024;
inline constexpr double kAssumedRestoreBytesPerSecond = 60.0 * 1024 * 1024;
inline constexpr double kAssumedSecondsPerDatabase = 1.0;

// Wall time of a run over databases of these sizes with `lanes` databases at a time:
// each database takes size/dump rate + size/restore rate + 1 s; the run takes the longer of the
// largest database and the sum spread over the lanes.
std::chrono::seconds estimated_duration(const std::vector<std::uint64_t>& sizes, int lanes);
// One sentence saying how estimated_duration is made, for plan output and the README.
std::string duration_method();

// Time left when `done` of `total` took `elapsed`, at the same rate. Negative/absent
// information (nothing done yet, less than 10 s elapsed) gives -1.
std::chrono::seconds eta(std::uint64_t done, std::uint64_t total,
                         std::chrono::milliseconds elapsed);

}  // namespace pgmigrate::pipeline
