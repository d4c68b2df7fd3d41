# The containment corpus (tests/containment): in make check under the
# namespace back end; side by side with Docker in make bench-docker.

CORPUS_RUNNER = $(BUILD)/tests/corpus-runner

$(CORPUS_RUNNER): tests/containment/runner.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs jansson)

.PHONY: containment bench-docker
containment: $(BUILD)/nsjudge $(CORPUS_RUNNER) rootfs
	@tests/containment/check.sh $(BUILD)

CHECK_STEPS += containment

bench-docker: $(BUILD)/nsjudge $(CORPUS_RUNNER) rootfs
	@bench/docker.sh $(BUILD)
