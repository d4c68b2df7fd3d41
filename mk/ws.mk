# The WebSocket framing (src/api/ws.c) is pure: its unit test links it alone.
$(BUILD)/tests/test_ws: $(BUILD)/tests/unit/test_ws.o $(BUILD)/src/api/ws.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_TEST)

# libFuzzer on the frame parser and message reassembly (make fuzz runs it too).
FUZZ_WS = $(BUILD)/fuzz/fuzz_ws
$(FUZZ_WS): tests/fuzz/fuzz_ws.c src/api/ws.c
	@command -v clang >/dev/null || { echo "fuzz: installing clang"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null; }
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -o $@ $^

.PHONY: fuzz-ws
fuzz-ws: $(FUZZ_WS)
	@mkdir -p $(BUILD)/fuzz/corpus-ws
	$(FUZZ_WS) -max_total_time=$(FUZZ_TIME) -max_len=4096 $(BUILD)/fuzz/corpus-ws

fuzz: fuzz-ws
