# Operations (issue #13): heartbeats and /healthz, Prometheus metrics,
# access and job logs, listing, ?wait, callbacks, the OpenAPI document.
# Included by the Makefile (-include mk/*.mk); uses its and pipeline.mk's variables.

# The version a worker's heartbeat reports.
NSJ_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/src/worker/telemetry.o: override CFLAGS += -DNSJ_VERSION='"$(NSJ_VERSION)"'

OPS_E2E = $(BUILD)/ops/test_ops
$(BUILD)/tests/ops/test_ops.o: override CFLAGS += $(PIPE_CFLAGS)
$(OPS_E2E): $(BUILD)/tests/ops/test_ops.o $(BUILD)/tests/pipeline/e2e.o $(BUILD)/tests/pipeline/client.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(PIPE_LIBS) $(LIBS_TEST) -lpthread

.PHONY: ops
CHECK_STEPS += ops
# End to end with real servers (tests/pipeline/run.sh starts postgres and redis).
ops: $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api $(OPS_E2E) rootfs
	@$(TEST_ENV) tests/pipeline/run.sh $(BUILD) $(OPS_E2E)

# Unit tests of the pure parts (the Makefile's tests/unit/test_*.c wildcard builds and runs them).
$(BUILD)/tests/test_api_listing: $(PIPE_LIB)
$(BUILD)/tests/test_api_listing: LIBS_TEST = $(PIPE_LIB) $(LIB) $(LIBS_CORE) $(PIPE_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null)
$(BUILD)/tests/test_callbacks: $(PIPE_LIB)
$(BUILD)/tests/test_callbacks: LIBS_TEST = $(PIPE_LIB) $(LIB) $(LIBS_CORE) $(PIPE_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null)
