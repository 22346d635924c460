#include "pgmigrate/pipeline/config.hpp"

namespace pgmigrate::pipeline {

const char* verify_level_name(VerifyLevel level) {
    return level == VerifyLevel::checksums ? "checksums" : "counts";
}

}  // namespace pgmigrate::pipeline
