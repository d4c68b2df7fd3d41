# Operations (issue #13): heartbeats and /healthz, Prometheus metrics,
# access and job logs, listing, ?wait, callbacks, the OpenAPI document.
# Included by the Makefile (-include mk/*.mk); uses its and pipeline.mk's variables.

# The version a worker's heartbeat reports.
NSJ_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/src/worker/telemetry.o: override CFLAGS += -DNSJ_VERSION='"$(NSJ_VERSION)"'

OPS_E2E = $(BUILD)/ops/test_ops
# (Rules name pipeline.mk's files by path: that file is read after this one.)
$(BUILD)/tests/ops/test_ops.o: override CFLAGS += $(PIPE_CFLAGS)
$(OPS_E2E): $(BUILD)/tests/ops/test_ops.o $(BUILD)/tests/pipeline/e2e.o $(BUILD)/tests/pipeline/client.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(PIPE_LIBS) $(LIBS_TEST) -lpthread

.PHONY: ops
CHECK_STEPS += ops
ASAN_STEPS += ops
# End to end with real servers (tests/pipeline/run.sh starts postgres and
# redis); every exchange is recorded, then checked against docs/openapi.yaml.
ops: $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api $(OPS_E2E) rootfs
	@rm -f $(BUILD)/ops/exchanges.jsonl $(BUILD)/ops/openapi-served.json
	@$(TEST_ENV) NSJ_HTTP_RECORD=$(CURDIR)/$(BUILD)/ops/exchanges.jsonl \
	    NSJ_OPENAPI_SERVED=$(CURDIR)/$(BUILD)/ops/openapi-served.json tests/pipeline/run.sh $(BUILD) $(OPS_E2E)
	@tests/ops/openapi-check.sh $(BUILD) $(BUILD)/ops/exchanges.jsonl $(BUILD)/ops/openapi-served.json

# Unit tests of the pure parts (the Makefile's tests/unit/test_*.c wildcard builds and runs them).
$(BUILD)/tests/test_api_listing: $(BUILD)/libpipeline.a
$(BUILD)/tests/test_api_listing: LIBS_TEST = $(PIPE_LIB) $(LIB) $(LIBS_CORE) $(PIPE_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null)
$(BUILD)/tests/test_callbacks: $(BUILD)/libpipeline.a
$(BUILD)/tests/test_callbacks: LIBS_TEST = $(PIPE_LIB) $(LIB) $(LIBS_CORE) $(PIPE_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

# The OpenAPI document: docs/openapi.yaml is the one source; JSON made from
# it at build time (python3-yaml) is compiled into nsjudge-api.
$(BUILD)/gen/openapi_json.c: docs/openapi.yaml scripts/openapi-json.py
	@mkdir -p $(dir $@)
	scripts/openapi-json.py $< > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/openapi_json.o: $(BUILD)/gen/openapi_json.c
	$(CC) $(CFLAGS) -c -o $@ $<
$(BUILD)/libpipeline.a: $(BUILD)/gen/openapi_json.o
