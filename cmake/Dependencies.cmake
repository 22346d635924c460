# Every third-party dependency comes from Debian's packages (see scripts/install-deps).
# Exposes one interface target, pgmigrate::deps, that the core library links.
find_package(Threads REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)

add_library(pgmigrate_deps INTERFACE)
add_library(pgmigrate::deps ALIAS pgmigrate_deps)

if(PGMIGRATE_STATIC)
  include(StaticLink)
  target_link_libraries(pgmigrate_deps INTERFACE ${PGMIGRATE_PQ_TARGET})
  target_compile_definitions(pgmigrate_deps INTERFACE ${PGMIGRATE_STATIC_DEFINITIONS})
  find_package(fmt REQUIRED)
  find_package(spdlog REQUIRED)
  target_include_directories(pgmigrate_deps SYSTEM INTERFACE
    $<TARGET_PROPERTY:fmt::fmt,INTERFACE_INCLUDE_DIRECTORIES>
    $<TARGET_PROPERTY:spdlog::spdlog,INTERFACE_INCLUDE_DIRECTORIES>)
else()
  find_package(PostgreSQL REQUIRED)
  find_package(fmt REQUIRED)
  find_package(spdlog REQUIRED)
  target_link_libraries(pgmigrate_deps INTERFACE PostgreSQL::PostgreSQL spdlog::spdlog fmt::fmt)
endif()
target_link_libraries(pgmigrate_deps INTERFACE CLI11::CLI11 nlohmann_json::nlohmann_json
                                               Threads::Threads)
