#include <catch2/catch.hpp>

#include "pgmigrate/verify/schema_compare.hpp"

using namespace pgmigrate::verify;

namespace {
const char* kSource = R"(--
-- PostgreSQL database dump
--

\restrict AbC

-- Dumped from database version 12.22
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);

--
-- Name: t1; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.t1 (
    a integer,
    b text
);


ALTER TABLE public.t1 OWNER TO postgres;

SET default_tablespace = '';

--
-- Name: child; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.child (
    x integer,
    a integer
)
INHERITS (public.t1);

--
-- Name: t1_b_idx; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX t1_b_idx ON public.t1 USING btree (b);

--
-- Name: SCHEMA public; Type: ACL; Schema: -; Owner: postgres
--

REVOKE USAGE ON SCHEMA public FROM PUBLIC;
GRANT ALL ON SCHEMA public TO PUBLIC;

\unrestrict AbC
)";
}  // namespace

TEST_CASE("schema entries drop comments, SET lines, \\restrict and blank lines") {
    auto entries = schema_entries(kSource);
    REQUIRE(entries.size() == 4);
    const auto& t1 = entries.at("Name: t1; Type: TABLE; Schema: public; Owner: postgres");
    REQUIRE(t1.size() == 1);
    CHECK(t1[0] ==
          "CREATE TABLE public.t1 (\n    a integer,\n    b text\n);\n"
          "ALTER TABLE public.t1 OWNER TO postgres;\n");
}

TEST_CASE("identical schemas compare equal whatever the noise and entry order") {
    std::string target = kSource;
    // Another \restrict key, another version line, other SET lines.
    target.replace(target.find("AbC"), 3, "XyZ");
    target.replace(target.find("AbC"), 3, "XyZ");
    target.replace(target.find("12.22"), 5, "15.10");
    target.replace(target.find("SET statement_timeout = 0;"), 26, "SET lock_timeout = 0;");
    // The index entry first.
    auto idx = target.find("--\n-- Name: t1_b_idx");
    auto idx_end = target.find("--\n-- Name: SCHEMA public");
    std::string index_entry = target.substr(idx, idx_end - idx);
    target.erase(idx, idx_end - idx);
    target.insert(target.find("--\n-- Name: t1; Type"), index_entry);
    auto diff = compare_schema_text(kSource, target, 15, 15);
    CHECK(diff.ok());
    CHECK(diff.notes.empty());
}

TEST_CASE("a missing index, a changed column and an extra object are differences") {
    std::string target = kSource;
    target.erase(target.find("--\n-- Name: t1_b_idx"),
                 target.find("--\n-- Name: SCHEMA public") - target.find("--\n-- Name: t1_b_idx"));
    target.replace(target.find("    b text"), 10, "    b varchar");
    target +=
        "--\n-- Name: extra; Type: VIEW; Schema: public; Owner: postgres\n--\n\n"
        "CREATE VIEW public.extra AS SELECT 1;\n";
    auto diff = compare_schema_text(kSource, target, 15, 15);
    REQUIRE(diff.differences.size() == 3);
    std::string all;
    for (const auto& d : diff.differences) all += d + "\n";
    CHECK(all.find("t1_b_idx; Type: INDEX") != std::string::npos);
    CHECK(all.find("missing on target") != std::string::npos);
    CHECK(all.find("b varchar") != std::string::npos);
    CHECK(all.find("extra; Type: VIEW") != std::string::npos);
}

TEST_CASE("known inherent differences are notes: inherited column order, public schema at 15") {
    std::string target = kSource;
    std::string order = "    x integer,\n    a integer\n";
    target.replace(target.find(order), order.size(), "    a integer,\n    x integer\n");
    std::string revoke = "REVOKE USAGE ON SCHEMA public FROM PUBLIC;\n";
    target.erase(target.find(revoke), revoke.size());
    auto across = compare_schema_text(kSource, target, 12, 15);
    for (const auto& d : across.differences) UNSCOPED_INFO(d);
    CHECK(across.ok());
    CHECK(across.notes.size() == 2);
    // The same public schema difference between two 15 servers is a real one.
    auto same_major = compare_schema_text(kSource, target, 15, 15);
    CHECK(same_major.differences.size() == 1);
    CHECK(same_major.notes.size() == 1);
}

TEST_CASE("a materialized view's REFRESH in the dump is data, not a schema difference") {
    // pg_restore --schema-only of the dump prints it; pg_dump --schema-only of the target not.
    std::string dump = std::string(kSource) +
                       "--\n-- Name: mv; Type: MATERIALIZED VIEW DATA; Schema: public; Owner: "
                       "postgres\n--\n\nREFRESH MATERIALIZED VIEW public.mv;\n";
    CHECK(schema_entries(dump).size() == 4);
    auto diff = compare_schema_text(dump, kSource, 15, 15);
    CHECK(diff.differences.empty());
    CHECK(diff.notes.empty());
}
