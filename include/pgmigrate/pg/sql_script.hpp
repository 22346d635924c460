#pragma once
// Splits SQL script text (pg_dumpall output) into statements, aware of quotes, dollar quotes
// and comments, and recognises psql meta-command lines (\connect, \restrict, ...).
#include <string>
#include <string_view>
#include <vector>

namespace pgmigrate::pg {

struct ScriptItem {
    std::string text;   // statement without the trailing ';', or the meta-command line
    bool meta = false;  // a psql backslash command (never sent to the server)
};

std::vector<ScriptItem> split_script(std::string_view script);

}  // namespace pgmigrate::pg
