// plan_resume: which steps a run keeps, redoes or refuses, from the markers' recorded inputs.
#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/steps.hpp"

using namespace pgmigrate::pipeline;

namespace {

StepInputs inputs() {
    StepInputs in;
    in.source = {"111", "src:5432"};
    in.target = {"222", "dst:5432"};
    in.source_db_oid = "16384";
    in.pg_dump_major = 15;
    in.compression = "0";
    return in;
}

// A finished regular phase: dumped, created (OID 5000 under its own name), restored.
std::map<Step, nlohmann::json> finished(const StepInputs& in) {
    std::map<Step, nlohmann::json> m;
    m[Step::dumped] = make_marker("app", Step::dumped, in, {});
    m[Step::created] = make_marker("app", Step::created, in, {}, {{"name", "app"}, {"oid", "5000"}});
    m[Step::restored] = make_marker(
        "app", Step::restored, in,
        {{Step::dumped, m[Step::dumped]["execution"]}, {Step::created, m[Step::created]["execution"]}});
    return m;
}

TargetDatabaseFacts ours() {
    return {std::string("5000"), true};
}

}  // namespace

TEST_CASE("the step table lists every step once, each building only on earlier ones") {
    std::set<Step> seen;
    for (const auto& info : step_table()) {
        for (Step on : info.builds_on) CHECK(seen.count(on) == 1);
        CHECK(seen.insert(info.step).second);
        CHECK(std::string(info.marker) == step_name(info.step));
    }
    CHECK(seen.size() == 9);
}

TEST_CASE("unchanged inputs keep every step") {
    auto in = inputs();
    auto plan = plan_resume("app", finished(in), in, ours());
    CHECK_FALSE(plan.refusal);
    CHECK(plan.redo.empty());
    CHECK(plan.keeps(Step::dumped));
    CHECK(plan.keeps(Step::restored));
}

TEST_CASE("another source or target server is refused with the way forward") {
    auto in = inputs();
    auto markers = finished(in);
    auto other = in;
    other.source = {"999", "elsewhere:5432"};
    auto plan = plan_resume("app", markers, other, ours());
    REQUIRE(plan.refusal);
    CHECK(plan.refusal->find("--restart-database app") != std::string::npos);
    CHECK(plan.refusal->find("elsewhere:5432") != std::string::npos);
    other = in;
    other.target = {"998", "dst:5432"};
    CHECK(plan_resume("app", markers, other, ours()).refusal);
}

TEST_CASE("a moved address with the same system identifier is a note, not a refusal") {
    auto in = inputs();
    auto markers = finished(in);
    in.source.address = "10.0.0.9:5432";
    auto plan = plan_resume("app", markers, in, ours());
    CHECK_FALSE(plan.refusal);
    CHECK(plan.keeps(Step::restored));
    REQUIRE_FALSE(plan.notes.empty());
}

TEST_CASE("a re-created source database redoes the dump and everything built on it") {
    auto in = inputs();
    auto markers = finished(in);
    in.source_db_oid = "20000";
    auto plan = plan_resume("app", markers, in, ours());
    CHECK(plan.redo.count(Step::dumped));
    CHECK(plan.redo.count(Step::restored));
    CHECK(plan.keeps(Step::created));  // ours still; the task drops and re-creates it
}

TEST_CASE("other compression or pg_dump keeps a finished dump, with a note") {
    auto in = inputs();
    auto markers = finished(in);
    in.compression = "zstd:5";
    in.pg_dump_major = 18;
    auto plan = plan_resume("app", markers, in, ours());
    CHECK(plan.keeps(Step::dumped));
    CHECK(plan.keeps(Step::restored));
    CHECK(plan.notes.size() == 1);
}

TEST_CASE("a target database that is gone, or not the one created, redoes create and restore") {
    auto in = inputs();
    auto gone = plan_resume("app", finished(in), in, TargetDatabaseFacts{std::nullopt, false});
    CHECK(gone.redo.count(Step::created));
    CHECK(gone.redo.count(Step::restored));
    CHECK(gone.keeps(Step::dumped));
    // Someone else's database of that name (another OID): never treated as ours.
    auto foreign = plan_resume("app", finished(in), in, TargetDatabaseFacts{std::string("6000"), false});
    CHECK(foreign.redo.count(Step::created));
}

TEST_CASE("a database left under its temporary name is redone") {
    auto in = inputs();
    auto markers = finished(in);
    markers[Step::created]["details"]["name"] = "pgmigrate_new_abc";
    auto plan = plan_resume("app", markers, in, TargetDatabaseFacts{std::nullopt, true});
    CHECK(plan.redo.count(Step::created));
}

TEST_CASE("a restore of an earlier dump is not kept") {
    auto in = inputs();
    auto markers = finished(in);
    markers[Step::dumped] = make_marker("app", Step::dumped, in, {});  // a newer dump
    auto plan = plan_resume("app", markers, in, ours());
    CHECK(plan.keeps(Step::dumped));
    CHECK(plan.redo.count(Step::restored));
}

TEST_CASE("delayed steps follow the restore they were made on") {
    auto in = inputs();
    auto markers = finished(in);
    markers[Step::delayed_dumped] = make_marker("app", Step::delayed_dumped, in,
                                                {{Step::dumped, markers[Step::dumped]["execution"]}});
    markers[Step::delayed_restored] = make_marker(
        "app", Step::delayed_restored, in,
        {{Step::delayed_dumped, markers[Step::delayed_dumped]["execution"]},
         {Step::restored, markers[Step::restored]["execution"]}});
    CHECK(plan_resume("app", markers, in, ours()).keeps(Step::delayed_restored));
    auto gone = plan_resume("app", markers, in, TargetDatabaseFacts{std::nullopt, false});
    CHECK(gone.redo.count(Step::delayed_restored));
    CHECK(gone.keeps(Step::delayed_dumped));
}
