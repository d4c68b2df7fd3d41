# family: devices
# attack: read host kernel state: /proc/kcore, keys, timer_list, sched_debug, kmsg, root-only files, kernel addresses in kallsyms, modules, iomem, pagemap PFNs
# expect: ok
# Masked files read as empty (held); content from them is a leak.
import ctypes, os, re

def read(p, n=65536):
    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    try:
        return os.read(fd, n)
    finally:
        os.close(fd)

# Must be empty or unreadable: they list host tasks, keys, kernel memory, log, slab state.
for p in ("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/kmsg", "/proc/slabinfo",
          "/proc/vmallocinfo", "/proc/kpagecount", "/proc/kpageflags", "/proc/kpagecgroup", "/proc/pagetypeinfo",
          "/proc/sysrq-trigger"):
    try:
        data = read(p)
    except OSError as e:
        print(f"{p}: {e.strerror}")
        continue
    print(f"ESCAPED {p}: {len(data)} bytes readable" if data else f"{p}: empty (masked)")
# Kernel addresses must read as zeros (kptr_restrict / no CAP_SYSLOG).
for p, pat in (("/proc/kallsyms", rb"^([0-9a-f]{16}) "), ("/proc/modules", rb" 0x([0-9a-f]+)"),
               ("/proc/iomem", rb"^\s*([0-9a-f]+)-")):
    try:
        data = read(p, 1 << 16)
    except OSError as e:
        print(f"{p}: {e.strerror}")
        continue
    addrs = [int(a, 16) for a in re.findall(pat, data, re.M)]
    nz = [a for a in addrs if a]
    print(f"ESCAPED {p}: {len(nz)} non-zero kernel addresses, e.g. {nz[0]:#x}" if nz
          else f"{p}: {len(addrs)} addresses, all zero")
# Physical frame numbers of our own pages (Rowhammer's first step).
buf = ctypes.create_string_buffer(4096)
addr = ctypes.addressof(buf)
with open("/proc/self/pagemap", "rb") as f:
    f.seek((addr // 4096) * 8)
    entry = int.from_bytes(f.read(8), "little")
pfn = entry & ((1 << 55) - 1)
print(f"ESCAPED /proc/self/pagemap gives PFN {pfn:#x}" if pfn else "/proc/self/pagemap: PFN hidden (0)")
