# family: devices
# attack: open kernel knobs for writing: /proc/sysrq-trigger, /proc/sys (hostname, drop_caches, core_pattern...), init's /proc files; oom_score_adj -1000
# expect: ok
# Opening for writing is the test: nothing is written to them, so a leak harms nothing.
import os, stat

KNOBS = ["/proc/sysrq-trigger", "/proc/sys/kernel/hostname", "/proc/sys/kernel/domainname",
         "/proc/sys/vm/drop_caches", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
         "/proc/sys/kernel/panic", "/proc/sys/fs/file-max",
         "/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/core/somaxconn", "/proc/sys/vm/overcommit_memory",
         "/proc/sys/kernel/randomize_va_space", "/proc/1/oom_score_adj", "/proc/1/attr/current",
         "/proc/irq/default_smp_affinity", "/proc/timer_list", "/proc/keys"]
for p in KNOBS:
    if p.startswith("/proc/1/") and os.getpid() == 1:
        print(f"{p}: skipped, pid 1 is this program itself (no separate init)")
        continue
    try:
        fd = os.open(p, os.O_WRONLY)
    except OSError as e:
        print(f"{p}: {e.strerror}")
        continue
    st = os.fstat(fd)
    os.close(fd)
    if stat.S_ISCHR(st.st_mode):  # masked with a bind of /dev/null: writes go nowhere
        print(f"{p}: masked (device {os.major(st.st_rdev)}:{os.minor(st.st_rdev)})")
    else:
        print(f"ESCAPED {p} is open for writing")
# One real write, harmless: OOM-killer immunity for itself (lowering needs CAP_SYS_RESOURCE).
try:
    with open("/proc/self/oom_score_adj", "w") as f:
        f.write("-1000")
    print("ESCAPED oom_score_adj set to -1000: the OOM killer would spare this program")
except OSError as e:
    print("oom_score_adj -1000:", e.strerror)
