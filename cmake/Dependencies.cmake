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
# Verification: XXH3 row hashes (libxxhash-dev) and the decompressors of pg_dump's data files
# (zlib1g-dev, liblz4-dev, libzstd-dev). A static build links their .a archives
# (cmake/StaticLink.cmake finds them).
find_path(PGMIGRATE_XXHASH_INCLUDE_DIR NAMES xxhash.h REQUIRED)
find_path(PGMIGRATE_ZSTD_INCLUDE_DIR NAMES zstd.h REQUIRED)
find_path(PGMIGRATE_LZ4_INCLUDE_DIR NAMES lz4frame.h REQUIRED)
find_path(PGMIGRATE_ZLIB_INCLUDE_DIR NAMES zlib.h REQUIRED)
if(PGMIGRATE_STATIC)
  set(PGMIGRATE_VERIFY_LIBRARIES ${PGMIGRATE_STATIC_VERIFY_ARCHIVES})
else()
  find_library(PGMIGRATE_XXHASH_LIBRARY NAMES xxhash REQUIRED)
  find_library(PGMIGRATE_ZSTD_LIBRARY NAMES zstd REQUIRED)
  find_library(PGMIGRATE_LZ4_LIBRARY NAMES lz4 REQUIRED)
  find_library(PGMIGRATE_ZLIB_LIBRARY NAMES z REQUIRED)
  set(PGMIGRATE_VERIFY_LIBRARIES ${PGMIGRATE_XXHASH_LIBRARY} ${PGMIGRATE_ZSTD_LIBRARY}
                                 ${PGMIGRATE_LZ4_LIBRARY} ${PGMIGRATE_ZLIB_LIBRARY})
endif()
target_include_directories(pgmigrate_deps SYSTEM INTERFACE
  ${PGMIGRATE_XXHASH_INCLUDE_DIR} ${PGMIGRATE_ZSTD_INCLUDE_DIR} ${PGMIGRATE_LZ4_INCLUDE_DIR}
  ${PGMIGRATE_ZLIB_INCLUDE_DIR})
target_link_libraries(pgmigrate_deps INTERFACE ${PGMIGRATE_VERIFY_LIBRARIES})

target_link_libraries(pgmigrate_deps INTERFACE CLI11::CLI11 nlohmann_json::nlohmann_json
                                               Threads::Threads)
