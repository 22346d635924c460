# cmake/StaticLink.cmake -- fully static x86-64 link of pg-migrate.
#
# How it is meant to be used (top-level CMakeLists.txt):
#
#   option(PGMIGRATE_STATIC "Build a fully static pg-migrate" OFF)
#   if(PGMIGRATE_STATIC)
#     include(${CMAKE_CURRENT_SOURCE_DIR}/cmake/StaticLink.cmake)
#     # -> PGMIGRATE_PQ_TARGET, PGMIGRATE_SPDLOG_TARGET, PGMIGRATE_FMT_TARGET,
#     #    PGMIGRATE_STATIC_LINK_OPTIONS, PGMIGRATE_STATIC_DEFINITIONS
#   else()
#     # the normal, dynamic find_package(PostgreSQL/spdlog/fmt) path
#   endif()
#   target_link_libraries(<every target using libpq/spdlog/fmt> PRIVATE
#     ${PGMIGRATE_PQ_TARGET} ${PGMIGRATE_SPDLOG_TARGET} ${PGMIGRATE_FMT_TARGET})
#   target_link_options(pg-migrate PRIVATE ${PGMIGRATE_STATIC_LINK_OPTIONS})
#   (or simply: pgmigrate_make_static(pg-migrate), defined below)
#
# The static build is normally driven by scripts/build-static, which builds
# the libpq prefix and passes -DPGMIGRATE_LIBPQ_PREFIX=<prefix>.
#
# In a static build do NOT also link spdlog::spdlog, spdlog::spdlog_header_only,
# fmt::fmt, PostgreSQL::PostgreSQL or pkg-config's libpq: they all resolve to
# shared objects (libspdlog.so, libfmt.so, Debian's libpq with GSSAPI/LDAP) and
# the -static link fails.
#
# What was found on Debian bookworm (dpkg -L):
#   * libspdlog-dev 1.10 ships only libspdlog.so (no .a); its tweakme.h already
#     #defines SPDLOG_FMT_EXTERNAL. spdlog::spdlog_header_only links fmt::fmt,
#     i.e. the shared libfmt.so, so it cannot be used as is.
#   * libfmt-dev 9.1 ships only libfmt.so (no .a); fmt::fmt-header-only exists.
#   => static build uses spdlog header-only (the default whenever
#      SPDLOG_COMPILED_LIB is not defined -- spdlog/common.h then defines
#      SPDLOG_HEADER_ONLY itself, so it is not passed here; passing it too is
#      harmless) with external header-only fmt:
#      SPDLOG_FMT_EXTERNAL + FMT_HEADER_ONLY=1. These must be set on EVERY
#      translation unit that includes spdlog/fmt (the interface targets below
#      carry them, so linking the targets is enough).
#   * libssl-dev ships libssl.a/libcrypto.a, zlib1g-dev ships libz.a.
#   * Debian's libpq.a needs GSSAPI (krb5) and LDAP, shared-only on Debian, so
#     libpq is built from the postgresql-15 source package without them
#     (scripts/build-static). PG15's libpq.a does not contain src/common and
#     src/port: it needs libpgcommon_shlib.a and libpgport_shlib.a (the same
#     archives libpq.so is linked with).
#   * glibc static-link warnings are expected and harmless for us:
#     getaddrinfo / getpwuid_r (libpq, libpgport) and dlopen (libcrypto) "will
#     require at runtime the shared libraries from the glibc version used for
#     linking". No .so is loaded as long as NSS only needs glibc's built-in
#     "files"/"dns" modules (checked with strace under `env -i`, and in an
#     empty chroot). libpq calls getpwuid_r only when no user name is given
#     (default user) or when $HOME is unset/empty (to find ~/.pgpass and
#     ~/.postgresql/ SSL files). If that lookup then misses /etc/passwd (uid
#     not listed) and nsswitch.conf names another module ("passwd: files
#     systemd"), glibc dlopen()s libnss_systemd.so.2 into the static process,
#     which crashes (SIGSEGV, reproduced). So pg-migrate should always pass an
#     explicit user and make sure HOME is non-empty before the first libpq
#     call (e.g. if getenv("HOME") is null or "", setenv("HOME", "/", 1)).
#
# Inputs:
#   PGMIGRATE_LIBPQ_PREFIX  prefix with lib/libpq.a, lib/libpgcommon_shlib.a,
#                           lib/libpgport_shlib.a and include/libpq-fe.h.
#                           Default: $PG_MIGRATE_STATIC_CACHE/libpq-prefix or
#                           $HOME/.cache/pg-migrate-static/libpq-prefix.
#
# Outputs:
#   PGMIGRATE_PQ_TARGET            "pgmigrate_static_pq" (INTERFACE library:
#                                  libpq include dir + libpq.a, libpgcommon,
#                                  libpgport, libssl.a, libcrypto.a, libz.a,
#                                  Threads::Threads, dl, m)
#   PGMIGRATE_SPDLOG_TARGET        "pgmigrate_static_spdlog" (INTERFACE: spdlog
#                                  header-only + header-only fmt + threads)
#   PGMIGRATE_FMT_TARGET           "pgmigrate_static_fmt" (INTERFACE: fmt
#                                  header-only)
#   PGMIGRATE_STATIC_VERIFY_ARCHIVES  libxxhash.a, libzstd.a, liblz4.a, libz.a (verify/)
#   PGMIGRATE_STATIC_LINK_OPTIONS  link options for executables ("-static")
#   PGMIGRATE_STATIC_DEFINITIONS   compile definitions the static build needs
#                                  (SPDLOG_FMT_EXTERNAL;FMT_HEADER_ONLY=1);
#                                  already carried by the spdlog/fmt targets,
#                                  exported for code that wants them directly
#   pgmigrate_make_static(<exe>)   function: links the three targets and adds
#                                  the link options to an executable target

include_guard(GLOBAL)

if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  message(FATAL_ERROR "PGMIGRATE_STATIC is only supported on Linux (glibc)")
endif()

# ---------------------------------------------------------------- libpq prefix
if(DEFINED ENV{PG_MIGRATE_STATIC_CACHE} AND NOT "$ENV{PG_MIGRATE_STATIC_CACHE}" STREQUAL "")
  set(_pgm_default_prefix "$ENV{PG_MIGRATE_STATIC_CACHE}/libpq-prefix")
else()
  set(_pgm_default_prefix "$ENV{HOME}/.cache/pg-migrate-static/libpq-prefix")
endif()
set(PGMIGRATE_LIBPQ_PREFIX "${_pgm_default_prefix}" CACHE PATH
    "Prefix containing a static libpq (built by scripts/build-static)")

set(_pgm_prefix "${PGMIGRATE_LIBPQ_PREFIX}")
foreach(_f include/libpq-fe.h lib/libpq.a lib/libpgcommon_shlib.a lib/libpgport_shlib.a)
  if(NOT EXISTS "${_pgm_prefix}/${_f}")
    message(FATAL_ERROR
      "PGMIGRATE_STATIC: ${_pgm_prefix}/${_f} not found.\n"
      "Run scripts/build-static (or scripts/build-static --libpq-only) to build "
      "the static libpq prefix, or set -DPGMIGRATE_LIBPQ_PREFIX=<prefix>.")
  endif()
endforeach()

# --------------------------------------------------- static system archives
# Search explicitly for the .a files so a shared object can never be chosen.
function(_pgm_find_static_archive var name)
  find_library(${var} NAMES "lib${name}.a"
    HINTS /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib)
  if(NOT ${var})
    message(FATAL_ERROR
      "PGMIGRATE_STATIC: static archive lib${name}.a not found "
      "(Debian: apt-get install libssl-dev zlib1g-dev libxxhash-dev libzstd-dev liblz4-dev)")
  endif()
endfunction()
_pgm_find_static_archive(PGMIGRATE_LIBSSL_A ssl)
_pgm_find_static_archive(PGMIGRATE_LIBCRYPTO_A crypto)
_pgm_find_static_archive(PGMIGRATE_LIBZ_A z)
# Verification (src/verify): XXH3 and the readers of compressed pg_dump data files. Debian ships
# the archives in libxxhash-dev, libzstd-dev, liblz4-dev and zlib1g-dev.
_pgm_find_static_archive(PGMIGRATE_LIBXXHASH_A xxhash)
_pgm_find_static_archive(PGMIGRATE_LIBZSTD_A zstd)
_pgm_find_static_archive(PGMIGRATE_LIBLZ4_A lz4)
set(PGMIGRATE_STATIC_VERIFY_ARCHIVES
    "${PGMIGRATE_LIBXXHASH_A}" "${PGMIGRATE_LIBZSTD_A}" "${PGMIGRATE_LIBLZ4_A}" "${PGMIGRATE_LIBZ_A}")

set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)

# ------------------------------------------------------------- libpq target
if(NOT TARGET pgmigrate_static_pq)
  add_library(pgmigrate_static_pq INTERFACE)
  target_include_directories(pgmigrate_static_pq SYSTEM INTERFACE "${_pgm_prefix}/include")
  # Order matters for static archives: libpq -> pgcommon -> pgport -> ssl ->
  # crypto -> z -> system libs.
  target_link_libraries(pgmigrate_static_pq INTERFACE
    "${_pgm_prefix}/lib/libpq.a"
    "${_pgm_prefix}/lib/libpgcommon_shlib.a"
    "${_pgm_prefix}/lib/libpgport_shlib.a"
    "${PGMIGRATE_LIBSSL_A}"
    "${PGMIGRATE_LIBCRYPTO_A}"
    "${PGMIGRATE_LIBZ_A}"
    Threads::Threads
    ${CMAKE_DL_LIBS}
    m)
endif()

# ------------------------------------------------------ fmt / spdlog targets
set(PGMIGRATE_STATIC_DEFINITIONS SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY=1)

find_path(PGMIGRATE_FMT_INCLUDE_DIR NAMES fmt/format.h)
find_path(PGMIGRATE_SPDLOG_INCLUDE_DIR NAMES spdlog/spdlog.h)
if(NOT PGMIGRATE_FMT_INCLUDE_DIR OR NOT PGMIGRATE_SPDLOG_INCLUDE_DIR)
  message(FATAL_ERROR "PGMIGRATE_STATIC: fmt/spdlog headers not found "
                      "(Debian: apt-get install libfmt-dev libspdlog-dev)")
endif()

if(NOT TARGET pgmigrate_static_fmt)
  add_library(pgmigrate_static_fmt INTERFACE)
  target_include_directories(pgmigrate_static_fmt SYSTEM INTERFACE "${PGMIGRATE_FMT_INCLUDE_DIR}")
  target_compile_definitions(pgmigrate_static_fmt INTERFACE FMT_HEADER_ONLY=1)
endif()

if(NOT TARGET pgmigrate_static_spdlog)
  add_library(pgmigrate_static_spdlog INTERFACE)
  target_include_directories(pgmigrate_static_spdlog SYSTEM INTERFACE "${PGMIGRATE_SPDLOG_INCLUDE_DIR}")
  target_compile_definitions(pgmigrate_static_spdlog INTERFACE SPDLOG_FMT_EXTERNAL)
  target_link_libraries(pgmigrate_static_spdlog INTERFACE pgmigrate_static_fmt Threads::Threads)
endif()

set(PGMIGRATE_PQ_TARGET pgmigrate_static_pq)
set(PGMIGRATE_SPDLOG_TARGET pgmigrate_static_spdlog)
set(PGMIGRATE_FMT_TARGET pgmigrate_static_fmt)

# ------------------------------------------------------------- link options
# -static on executables only (not a global CMAKE_EXE_LINKER_FLAGS), so test
# executables can keep linking however they like. GCC with Debian's default
# PIE produces a non-PIE static executable with -static.
set(PGMIGRATE_STATIC_LINK_OPTIONS -static)

function(pgmigrate_make_static tgt)
  target_link_libraries(${tgt} PRIVATE
    ${PGMIGRATE_PQ_TARGET} ${PGMIGRATE_SPDLOG_TARGET} ${PGMIGRATE_FMT_TARGET})
  target_link_options(${tgt} PRIVATE ${PGMIGRATE_STATIC_LINK_OPTIONS})
endfunction()

message(STATUS "pg-migrate static build: libpq from ${_pgm_prefix}, "
               "${PGMIGRATE_LIBSSL_A}, ${PGMIGRATE_LIBCRYPTO_A}, ${PGMIGRATE_LIBZ_A}; "
               "spdlog/fmt header-only")
