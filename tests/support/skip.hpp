#pragma once
// A prerequisite the machine lacks is a skip that CTest reports, never a silent pass: a test case
// calls skip(reason) and returns; the executable then exits 77 (SKIP_RETURN_CODE) unless a check
// failed. CTest reports a whole executable as skipped, so cases that need a prerequisite live in
// their own file.
#include <string>

namespace pgtest {

void skip(const std::string& reason);
// What main returns after Catch ran: its failures, else 77 when something was skipped, else 0.
int exit_code_after(int catch_failures);

}  // namespace pgtest
