# The problem set (issue #12): checkers, custom checkers and subtasks end
# to end through the API and a worker (tests/problems/run.sh). Included by
# the Makefile (-include mk/*.mk); uses its variables and mk/pipeline.mk's.
.PHONY: problems
CHECK_STEPS += problems

problems: $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api rootfs
	@$(TEST_ENV) tests/problems/run.sh $(BUILD)
