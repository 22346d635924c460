# pg-migrate: the commands an operator and a developer need. See README.md.
BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
# ccache, when installed, lets several work trees share compiled objects.
CCACHE := $(shell command -v ccache 2>/dev/null)
ifneq ($(CCACHE),)
  CMAKE_FLAGS += -DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE)
endif
ifeq ($(CI),true)
  CMAKE_FLAGS += -DPGMIGRATE_WERROR=ON
endif

.PHONY: all deps configure compile migrate demo test unit-test integration-test bench build compress release static-test compose-test clean format

all: compile

deps:
	scripts/install-deps

configure: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

compile: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Set up and run a migration: make migrate ARGS="--from-host A --to-host B ..."
# (passwords via PG_MIGRATE_FROM_PASS / PG_MIGRATE_TO_PASS in the environment)
migrate: compile
	$(BUILD_DIR)/pg-migrate $(ARGS)

# A real migration between two throwaway local servers, with live progress.
demo: compile
	scripts/demo $(BUILD_DIR)/pg-migrate

# Everything: install, build, unit and integration tests (real PostgreSQL servers).
test: compile
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

unit-test: compile
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit

integration-test: compile
	cd $(BUILD_DIR) && ctest --output-on-failure -L integration -j$(JOBS)

bench: compile
	bench/run $(BUILD_DIR)/pg-migrate

# Release: static dist/pg-migrate, static PostgreSQL 18 tools in dist/pg-tools/ and
# dist/pg-migrate-<version>-linux-x86_64.tar.gz holding both.
build:
	scripts/build-static

compress: build
	scripts/compress-binary dist/pg-migrate

release: build compress

static-test: build
	scripts/static-test dist/pg-migrate

# The container image and compose stack for real (podman, no registry; see README).
compose-test:
	scripts/compose-test

format:
	clang-format -i $$(find src include tests -name '*.cpp' -o -name '*.hpp')

clean:
	rm -rf $(BUILD_DIR) build-static dist
