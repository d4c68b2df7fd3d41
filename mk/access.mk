# Access control (issue #13): API keys and scopes, limits per key, the key
# tool, a Redis outage during a burst: end to end under tests/pipeline/run.sh
# (make access). Included by the Makefile; uses mk/pipeline.mk's variables.

ACCESS_E2E = $(BUILD)/access/test_access

$(BUILD)/tests/access/test_access.o: override CFLAGS += $(PIPE_CFLAGS)

$(ACCESS_E2E): $(BUILD)/tests/access/test_access.o $(BUILD)/tests/pipeline/e2e.o $(BUILD)/tests/pipeline/client.o \
               $(BUILD)/tests/live/liveclient.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(PIPE_LIBS) $(LIBS_TEST) -lpthread

.PHONY: access
CHECK_STEPS += access
ASAN_STEPS += access

access: $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api $(BUILD)/nsjudge-admin $(ACCESS_E2E) rootfs
	@$(TEST_ENV) tests/pipeline/run.sh $(BUILD) $(ACCESS_E2E)

# The pure parts' unit test (the Makefile's tests/unit/test_*.c wildcard
# builds and runs it); auth.c's server half needs the pipeline's objects.
$(BUILD)/tests/test_api_auth: $(BUILD)/libpipeline.a
$(BUILD)/tests/test_api_auth: LIBS_TEST = $(PIPE_LIB) $(LIB) $(LIBS_CORE) $(PIPE_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null)
