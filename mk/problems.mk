# The problem set (issue #12): checkers, custom checkers and subtasks end
# to end through the API and a worker (tests/problems/run.sh). Included by
# the Makefile (-include mk/*.mk); uses its variables and mk/pipeline.mk's.
.PHONY: problems
CHECK_STEPS += problems

problems: $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api rootfs
	@$(TEST_ENV) tests/problems/run.sh $(BUILD)
	@tests/ops/openapi-check.sh $(BUILD) $(BUILD)/problems/exchanges.jsonl

# make bench-pipeline's custom checker row (bench/bench_checker.c).
$(PIPE_BENCH): $(BUILD)/bench/bench_checker.o
$(BUILD)/bench/bench_checker.o: override CFLAGS += $(PIPE_CFLAGS)
