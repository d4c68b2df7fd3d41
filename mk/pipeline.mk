# The judge pipeline (issue #4): nsjudge-worker and nsjudge-api, their unit
# tests, the end-to-end test, the benchmark, the fuzz target, make up/down.
# Included by the Makefile (-include mk/*.mk); uses its variables.

PIPE_PKGS   = hiredis libpq libmicrohttpd
# Only the include directory libpq needs: hiredis is included as
# <hiredis/hiredis.h>, so its headers (read.h, sds.h ...) never shadow ours.
PIPE_CFLAGS = -I$(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
PIPE_LIBS   = -lhiredis -lpq -lmicrohttpd -lcrypto -larchive -lcurl

PIPE_SRC = $(wildcard src/queue/*.c src/store/*.c src/service/*.c src/worker/*.c src/api/*.c)
PIPE_OBJ = $(PIPE_SRC:%.c=$(BUILD)/%.o)
PIPE_LIB = $(BUILD)/libpipeline.a

# Unit tests of the pipeline's pure parts (the Makefile's tests/unit/test_*.c
# wildcard builds and runs them; here they get the extra objects and libs).
PIPE_UNIT = $(BUILD)/tests/test_queue_message $(BUILD)/tests/test_api_request $(BUILD)/tests/test_service_config \
            $(BUILD)/tests/test_core

PIPE_E2E  = $(BUILD)/pipeline/test_pipeline
PIPE_BENCH = $(BUILD)/pipeline/bench_pipeline

$(PIPE_OBJ) $(BUILD)/src/cmd/nsjudge-worker.o $(BUILD)/src/cmd/nsjudge-api.o $(BUILD)/src/cmd/nsjudge-admin.o \
$(BUILD)/tests/pipeline/test_pipeline.o $(BUILD)/tests/pipeline/client.o $(BUILD)/tests/pipeline/e2e.o \
$(BUILD)/bench/bench_pipeline.o: \
    override CFLAGS += $(PIPE_CFLAGS)

$(PIPE_LIB): $(PIPE_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The daemons link dynamically (they start once): the sandbox's libraries
# come in statically through LIBS_CORE as for every other binary.
$(BUILD)/nsjudge-worker: $(BUILD)/src/cmd/nsjudge-worker.o $(BUILD)/src/cmd/sandbox_env.o $(PIPE_LIB) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(PIPE_LIBS)

$(BUILD)/nsjudge-api: $(BUILD)/src/cmd/nsjudge-api.o $(PIPE_LIB) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(PIPE_LIBS)

# The operator's key tool (issue #13).
$(BUILD)/nsjudge-admin: $(BUILD)/src/cmd/nsjudge-admin.o $(PIPE_LIB) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(PIPE_LIBS)

all: $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api $(BUILD)/nsjudge-admin

$(PIPE_UNIT): $(PIPE_LIB)
$(PIPE_UNIT): LIBS_TEST = $(PIPE_LIB) $(LIB) $(LIBS_CORE) $(PIPE_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

$(PIPE_E2E): $(BUILD)/tests/pipeline/test_pipeline.o $(BUILD)/tests/pipeline/e2e.o $(BUILD)/tests/pipeline/client.o $(PIPE_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(PIPE_LIBS) $(LIBS_TEST) -lpthread

$(PIPE_BENCH): $(BUILD)/bench/bench_pipeline.o $(BUILD)/tests/pipeline/client.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(PIPE_LIBS) -lpthread

.PHONY: pipeline bench-pipeline fuzz up down
CHECK_STEPS += pipeline
BENCH_STEPS += bench-pipeline
ASAN_STEPS += pipeline

# End to end: real redis-server and postgres on random loopback ports in a
# temporary directory, real worker and API processes (tests/pipeline/run.sh).
# Its exchanges are checked against docs/openapi.yaml too (mk/ops.mk).
pipeline: $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api $(PIPE_E2E) rootfs
	@rm -f $(BUILD)/pipeline/exchanges.jsonl
	@$(TEST_ENV) NSJ_HTTP_RECORD=$(CURDIR)/$(BUILD)/pipeline/exchanges.jsonl tests/pipeline/run.sh $(BUILD)
	@tests/ops/openapi-check.sh $(BUILD) $(BUILD)/pipeline/exchanges.jsonl

bench-pipeline: $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api $(BUILD)/nsjudge-admin $(PIPE_BENCH) rootfs
	@$(TEST_ENV) bench/pipeline.sh $(BUILD)

# libFuzzer on the queue message parser; FUZZ_TIME seconds (default 60).
FUZZ_TIME ?= 60
FUZZ_BIN = $(BUILD)/fuzz/fuzz_queue_message
$(FUZZ_BIN): tests/fuzz/fuzz_queue_message.c src/queue/message.c src/common/error.c
	@command -v clang >/dev/null || { echo "fuzz: installing clang"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null; }
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -o $@ $^ -ljansson

fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_TIME) -max_len=4096 $(BUILD)/fuzz/corpus tests/fuzz/corpus

# A running judge on this host, no Docker: see docs/pipeline.md.
up:
	@scripts/up.sh

down:
	@scripts/down.sh

# The worker's test-data cache (issue #11): its unit test links the module alone.
$(BUILD)/tests/test_datacache: $(BUILD)/tests/unit/test_datacache.o $(BUILD)/src/worker/datacache.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_TEST) -lcrypto -lpthread

# The test data archive reader (issue #11), with libarchive.
$(BUILD)/tests/test_api_archive: $(BUILD)/tests/unit/test_api_archive.o $(BUILD)/src/api/archive.o \
                                 $(BUILD)/src/api/request.o $(BUILD)/src/queue/message.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_TEST) -larchive -lcrypto

# libFuzzer on the archive reader; FUZZ_TIME seconds. make fuzz runs it too.
FUZZ_ARCHIVE_BIN = $(BUILD)/fuzz/fuzz_archive
$(FUZZ_ARCHIVE_BIN): tests/fuzz/fuzz_archive.c src/api/archive.c src/api/request.c src/queue/message.c $(LIB)
	@command -v clang >/dev/null || { echo "fuzz: installing clang"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null; }
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -o $@ $^ $(LIBS_CORE) -larchive -lcrypto

.PHONY: fuzz-archive
fuzz-archive: $(FUZZ_ARCHIVE_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus-archive
	$(FUZZ_ARCHIVE_BIN) -max_total_time=$(FUZZ_TIME) -max_len=65536 $(BUILD)/fuzz/corpus-archive tests/fuzz/corpus-archive

fuzz: fuzz-archive
