# Compiler warnings for project targets; -Werror when PGMIGRATE_WERROR is ON (CI turns it on).
function(pgmigrate_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Wunused -Wconversion
                                           -Wno-sign-conversion)
  if(PGMIGRATE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
