# family: information
# attack: read host-wide /proc files (memory, load, boot id, kernel command line, file locks, pressure, cgroup counts) that change with other runs
# expect: ok
# args: --memory 64m
import os

def read(p):
    try:
        with open(p) as f:
            return f.read()
    except OSError as e:
        return None

mem = read("/proc/meminfo") or ""
total = [l for l in mem.splitlines() if l.startswith("MemTotal:")]
if total and int(total[0].split()[1]) > 64 * 1024:
    print("ESCAPED /proc/meminfo shows the host's memory:", total[0])
for p in ["/proc/cmdline", "/proc/sys/kernel/random/boot_id", "/proc/locks", "/proc/vmstat",
          "/proc/interrupts", "/proc/pressure/cpu", "/proc/pressure/memory", "/proc/diskstats"]:
    t = read(p)
    if t:
        print("ESCAPED", p, "shows", len(t), "bytes of host state")
load = read("/proc/loadavg") or ""
if load and not load.startswith("0.00 0.00 0.00"):
    print("ESCAPED /proc/loadavg shows the host's load:", load.strip())
for line in (read("/proc/cgroups") or "").splitlines()[1:]:
    f = line.split()
    if len(f) == 4 and f[2] != "1":
        print("ESCAPED /proc/cgroups counts the host's cgroups:", line)
print("checked")
