#pragma once
// The digest of some COPY text lines, as a table of these column kinds would give it.
#include <string>
#include <utility>
#include <vector>

#include "pgmigrate/verify/row_digest.hpp"

namespace pgmigrate::verify {
inline Digest digest_of(std::vector<ColumnKind> kinds, const std::vector<std::string>& lines) {
    RowDigester d(std::move(kinds));
    for (const auto& l : lines) d.add_line(l);
    return d.digest();
}
}  // namespace pgmigrate::verify
