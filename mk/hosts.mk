# Judge hosts for real (issue #15): the systemd units under systemd on
# Debian 12 guests (qemu/TCG, cgroup v2 only), then two hosts judging one
# queue (tests/hosts/run.sh). The guest image is built from Debian's packages
# by tests/hosts/image.sh and cached under /var/cache/nsjudge/hosts.
# Included by the Makefile; uses its variables and mk/pipeline.mk's.

.PHONY: hosts hosts-image
CHECK_STEPS += hosts

# Only the Python rootfs: the guests judge Python.
hosts: $(BUILD)/nsjudge $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api
	@rootfs/build-debian.sh python
	@tests/hosts/run.sh $(BUILD)

# The image alone (prints its directory).
hosts-image: $(BUILD)/nsjudge $(BUILD)/nsjudge-worker $(BUILD)/nsjudge-api
	@rootfs/build-debian.sh python
	@tests/hosts/image.sh $(BUILD)
