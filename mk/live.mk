# Live results and interactive sessions (issue #6, docs/live.md): unit tests
# of their pure parts, the end-to-end test (make live), the browser test
# (make browser), fuzz targets. Included by the Makefile; uses its variables
# and mk/pipeline.mk's.

LIVE_E2E = $(BUILD)/live/test_live

# Unit tests linking pipeline objects beyond libnsjudge.a (the Makefile's
# tests/unit/test_*.c wildcard builds and runs them).
$(BUILD)/tests/test_live_msg: $(BUILD)/tests/unit/test_live_msg.o $(BUILD)/src/queue/live_msg.o \
                              $(BUILD)/src/queue/message.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_TEST)

$(BUILD)/tests/test_api_live: $(BUILD)/tests/unit/test_api_live.o $(BUILD)/src/api/live.o $(BUILD)/src/api/request.o \
                              $(BUILD)/src/queue/message.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_TEST)

$(BUILD)/tests/live/test_live.o $(BUILD)/tests/live/liveclient.o: override CFLAGS += $(PIPE_CFLAGS)

$(LIVE_E2E): $(BUILD)/tests/live/test_live.o $(BUILD)/tests/live/liveclient.o $(BUILD)/tests/pipeline/e2e.o \
             $(BUILD)/tests/pipeline/client.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(PIPE_LIBS) $(LIBS_TEST)

.PHONY: live browser fuzz-live
CHECK_STEPS += live browser
ASAN_STEPS += live

# End to end against real redis-server, postgres, nsjudge-worker and
# nsjudge-api processes (the servers as for make pipeline).
live: $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api $(LIVE_E2E) rootfs
	@$(TEST_ENV) tests/pipeline/run.sh $(BUILD) $(LIVE_E2E)

# The web page in Debian's chromium, headless, driven by playwright-core
# (pinned; installed from npm under $(BUILD)/node, never a downloaded
# browser). 1.61 is the last release that runs on Debian's Node 18.
PLAYWRIGHT_VERSION = 1.61.1
browser: $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api rootfs
	@$(TEST_ENV) PLAYWRIGHT_VERSION=$(PLAYWRIGHT_VERSION) NODE_PREFIX=$(CURDIR)/$(BUILD)/node \
	    tests/pipeline/run.sh $(BUILD) tests/browser/run.sh

# libFuzzer on the live parsers (the WebSocket framing has its own target
# in mk/ws.mk); FUZZ_TIME seconds. make fuzz runs it too.
FUZZ_LIVE_BIN = $(BUILD)/fuzz/fuzz_live
# (The language table comes from libnsjudge.a, built without coverage: it
# is set up once, not fuzzed.)
$(FUZZ_LIVE_BIN): tests/fuzz/fuzz_live.c src/api/live.c src/api/request.c src/queue/live_msg.c src/queue/message.c src/judge/text.c $(LIB)
	@command -v clang >/dev/null || { echo "fuzz: installing clang"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null; }
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -o $@ $^ $(LIBS_CORE)

fuzz-live: $(FUZZ_LIVE_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus-live
	$(FUZZ_LIVE_BIN) -max_total_time=$(FUZZ_TIME) -max_len=4096 $(BUILD)/fuzz/corpus-live

fuzz: fuzz-live
