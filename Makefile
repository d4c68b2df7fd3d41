# nsjudge — see README.md. `make` builds build/nsjudge; `make check` installs
# what is missing, builds and runs every test; `make up` runs the judge.

CC      ?= gcc
BUILD   ?= build
WERROR  ?= 0

PKGS_CORE = libseccomp libcap libnl-3.0 libnl-route-3.0 jansson
PKGS_TEST = cmocka

WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
HARDEN   = -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
CFLAGS  ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARNINGS) $(HARDEN) -MMD -MP -Iinclude -Isrc \
                   $(shell pkg-config --cflags $(PKGS_CORE) 2>/dev/null)
override LDFLAGS += -pie -Wl,-z,relro,-z,now
ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif
CLI_LDFLAGS = -static-pie -Wl,-z,relro,-z,now
LIBS_STATIC = -Wl,--start-group -lseccomp -lcap -lnl-route-3 -lnl-3 -ljansson -lpthread -lm -Wl,--end-group
# The sandbox's libraries are linked statically: with -z now, resolving their
# symbols at every start is a measurable part of a 3 ms CLI run.
LIBS_CORE = -Wl,-Bstatic -lseccomp -lcap -lnl-route-3 -lnl-3 -ljansson -Wl,-Bdynamic -lpthread -lm
LIBS_TEST = $(shell pkg-config --libs $(PKGS_TEST) 2>/dev/null)

LIB_SRC = $(wildcard src/common/*.c src/core/*.c src/sandbox/*.c src/judge/*.c src/docker/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB     = $(BUILD)/libnsjudge.a

UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
INTEG_BIN = $(BUILD)/tests/test_integration
# Defined before make v2's rule, whose prerequisites are expanded where it is read.
WARM_BENCH_BIN = $(BUILD)/bench/warm
PAYLOAD_SRC = $(wildcard tests/payloads/*.c)
PAYLOAD_BIN = $(PAYLOAD_SRC:tests/payloads/%.c=$(BUILD)/payloads/%)

.PHONY: all deps rootfs check unit integration languages v2 asan bench bench-sandbox bench-languages bench-mntns clean
all: $(BUILD)/nsjudge

deps:
	@scripts/deps.sh all

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The CLI is a static PIE: no dynamic loader at every start (0.3 ms of a
# run). libnl's getprotobyname()/getaddrinfo() are never called, so the
# linker's NSS warnings about them are filtered out.
$(BUILD)/nsjudge: $(BUILD)/src/cmd/nsjudge.o $(BUILD)/src/cmd/sandbox_env.o $(LIB)
	$(CC) $(CFLAGS) $(CLI_LDFLAGS) -o $@ $^ $(LIBS_STATIC) 2>&1 | { grep -v -e 'statically linked applications' -e ': in function' || true; }

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_TEST)

$(INTEG_BIN): $(BUILD)/tests/integration/test_sandbox.o $(BUILD)/tests/integration/test_isolation.o \
              $(BUILD)/tests/integration/test_warm.o \
              $(BUILD)/tests/integration/test_interactive.o $(BUILD)/tests/integration/harness.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_TEST) -lpthread

LANG_TEST_BIN = $(BUILD)/tests/language_matrix
$(LANG_TEST_BIN): $(BUILD)/tests/integration/test_languages.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_TEST)

# Payloads run inside the sandbox: static, so they need nothing from the rootfs.
$(BUILD)/payloads/%: tests/payloads/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -static -Wall -o $@ $< -lpthread 2>&1 | { grep -v -e 'statically linked applications' -e ': in function' || true; }

# One rootfs per toolchain (C and C++ share gcc); each build is skipped
# quickly when nothing changed.
ROOTFS_NAMES = python gcc java node go
rootfs:
	@for r in $(ROOTFS_NAMES); do rootfs/build-debian.sh $$r || exit 1; done

unit: $(UNIT_BIN)
	@$(TEST_ENV) tests/run-unit.sh $(UNIT_BIN)

# Tests find the checkout (policy, languages, rootfs, payloads) through these.
TEST_ENV = NSJUDGE_HOME=$(CURDIR) BUILD=$(BUILD) NSJUDGE_CACHE_DIR=$(CURDIR)/$(BUILD)/cache

# Twice: one-shot runs (the CLI's), then warm slots (the worker's).
integration: $(BUILD)/nsjudge $(INTEG_BIN) $(PAYLOAD_BIN) rootfs
	@$(TEST_ENV) $(INTEG_BIN)
	@$(TEST_ENV) NSJUDGE_TEST_WARM=1 $(INTEG_BIN)

# Every language's cases (tests/languages/<language>/), compiled and run in the sandbox.
languages: $(LANG_TEST_BIN) rootfs
	@$(TEST_ENV) $(LANG_TEST_BIN)

v2: $(BUILD)/nsjudge $(INTEG_BIN) $(PAYLOAD_BIN) $(WARM_BENCH_BIN) $(BUILD)/bench/true $(BUILD)/bench/abrun
	@tests/v2/run.sh $(BUILD)

# Each part of the system adds its test and bench steps in mk/*.mk.
CHECK_STEPS = all unit integration languages v2
BENCH_STEPS = bench-sandbox bench-languages
# What make asan runs with ASan+UBSan builds of every program.
ASAN_STEPS = all unit integration

check: deps
	@$(MAKE) --no-print-directory $(CHECK_STEPS)

# ASan cannot live in a static binary: the asan CLI links dynamically.
asan:
	@$(MAKE) --no-print-directory BUILD=build-asan \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" \
	    CLI_LDFLAGS="-pie -Wl,-z,relro,-z,now -fsanitize=address,undefined" \
	    LIBS_STATIC='$(LIBS_CORE)' $(ASAN_STEPS)

bench:
	@$(MAKE) --no-print-directory $(BENCH_STEPS)

SUPCOST_BIN = $(BUILD)/bench/supcost
$(SUPCOST_BIN): $(BUILD)/bench/supcost.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)

$(WARM_BENCH_BIN): $(BUILD)/bench/warm.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)
# Static: they run in the v2 guest too.
$(BUILD)/bench/true: bench/true.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -static -nostdlib -o $@ $<
$(BUILD)/bench/abrun: bench/abrun.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -static -o $@ $<

bench-sandbox: $(BUILD)/nsjudge $(PAYLOAD_BIN) $(SUPCOST_BIN) $(WARM_BENCH_BIN) $(BUILD)/bench/true $(BUILD)/bench/abrun rootfs
	@$(TEST_ENV) bench/sandbox.sh $(BUILD)

# A run's mount namespace as a cold run makes it against one cloned from its root's (a warm run's)
# (README, Pipeline): MNTNS_EXTRA more mounts stand for a busier host.
MNTNS_EXTRA ?= 0
$(BUILD)/bench/mntns: bench/mntns.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) -o $@ $<
bench-mntns: $(BUILD)/bench/mntns rootfs
	@$(BUILD)/bench/mntns $(CURDIR)/rootfs/python 2000 6 $(MNTNS_EXTRA)

bench-languages: $(BUILD)/nsjudge rootfs
	@bench/languages.sh $(BUILD)

clean:
	rm -rf build build-asan

-include $(wildcard mk/*.mk)
-include $(shell find $(BUILD) -type f -name '*.d' 2>/dev/null)
