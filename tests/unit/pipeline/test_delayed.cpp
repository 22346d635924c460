// Delayed tables: their foreign keys kept out of pg_restore's list.
#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/delayed.hpp"

using namespace pgmigrate::pipeline;

TEST_CASE("foreign keys to delayed tables are commented out of pg_restore's list by oid") {
    std::string list =
        ";\n; Archive created at 2026-11-29\n"
        "215; 1259 16390 TABLE public small postgres\n"
        "3290; 2606 16420 FK CONSTRAINT public small small_big_id_fkey postgres\n"
        "3291; 2606 16421 FK CONSTRAINT public \"odd name\" fk x postgres\n"
        "3292; 2606 16422 FK CONSTRAINT public other other_fk postgres\n";
    std::vector<DeferredForeignKey> keys = {
        {"16420", "public", "small", "small_big_id_fkey", "", true},
        {"16421", "public", "odd name", "fk x", "", true}};
    auto out = exclude_from_restore_list(list, keys);
    CHECK(out.find(";3290; 2606 16420 FK CONSTRAINT") != std::string::npos);
    CHECK(out.find(";3291; 2606 16421 FK CONSTRAINT") != std::string::npos);
    CHECK(out.find("\n3292; 2606 16422 FK CONSTRAINT") != std::string::npos);
    CHECK(out.find("\n215; 1259 16390 TABLE") != std::string::npos);
}
