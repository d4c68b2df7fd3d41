# family: devices
# attack: sysfs: write knobs (hugepages, power state, uevent_helper, cgroup files) and read host hardware identity and disks
# expect: ok
# nsjudge mounts no /sys at all; a read-only sysfs still tells the host's disks and machine id.
import os

if not os.path.isdir("/sys") or not os.listdir("/sys"):
    print("/sys: absent or empty")
else:
    print("/sys:", sorted(os.listdir("/sys")))
for p in ("/sys/kernel/mm/transparent_hugepage/enabled", "/sys/power/state", "/sys/kernel/uevent_helper",
          "/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
          "/sys/fs/cgroup/pids/pids.max", "/sys/class/net/lo/mtu", "/sys/kernel/profiling"):
    try:
        fd = os.open(p, os.O_WRONLY)
        os.close(fd)
        print(f"ESCAPED {p} is open for writing")
    except OSError as e:
        print(f"{p}: {e.strerror}")
for p in ("/sys/class/dmi/id/product_uuid", "/sys/class/dmi/id/board_serial", "/sys/firmware/acpi/tables/DSDT"):
    try:
        with open(p, "rb") as f:
            data = f.read(64)
        if data:
            print(f"ESCAPED read host identity {p}: {data[:40]!r}")
    except OSError as e:
        print(f"{p}: {e.strerror}")
for d in ("/sys/block", "/sys/class/block"):
    try:
        disks = sorted(os.listdir(d))
    except OSError as e:
        print(f"{d}: {e.strerror}")
        continue
    print(f"ESCAPED {d} lists the host's disks: {disks}" if disks else f"{d}: empty")
