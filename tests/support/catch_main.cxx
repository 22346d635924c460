#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "skip.hpp"

int main(int argc, char** argv) {
    return pgtest::exit_code_after(Catch::Session().run(argc, argv));
}
