# docker-compose.yml built and run for real (issue #16): a private dockerd,
# images from Debian's packages (no registry), a Python and a C++
# submission and a question judged inside the stack (tests/compose/check.sh).
# Included by the Makefile; uses its variables.

.PHONY: compose-check
CHECK_STEPS += compose-check

compose-check: rootfs
	@tests/compose/check.sh $(BUILD)
