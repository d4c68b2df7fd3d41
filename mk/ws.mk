# The WebSocket framing (src/api/ws.c) is pure: its unit test links it alone.
$(BUILD)/tests/test_ws: $(BUILD)/tests/unit/test_ws.o $(BUILD)/src/api/ws.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_TEST)
