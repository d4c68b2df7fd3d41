# family: filesystem
# attack: walk out through /proc/<pid>/root and /proc/<pid>/cwd of init and every visible process
# expect: ok
import os

HOST_ONLY = ["/work", "/root", "/etc/shadow", "/home", "/boot", "/var/lib", "/var/cache", "/usr/bin/gcc",
             "/bin/sh", "/etc/ssh", "/usr/sbin", "/srv", "/opt"]

pids = sorted({"1", "2", "self", "thread-self"} | {p for p in os.listdir("/proc") if p.isdigit()})
for pid in pids:
    for kind in ("root", "cwd"):
        base = f"/proc/{pid}/{kind}"
        try:
            target = os.readlink(base)
        except OSError as e:
            print(f"{base}: {e.strerror}")
            continue
        print(f"{base} -> {target}")
        for p in HOST_ONLY:
            for path in (base + p, base + "/../../.." + p):
                if os.path.lexists(path):
                    print(f"ESCAPED host path visible: {path}")
for f in ("/proc/1/environ", "/proc/1/cmdline", "/proc/1/maps", "/proc/1/mountinfo"):
    try:
        with open(f, "rb") as fh:
            data = fh.read(200)
        print(f"{f}: readable ({len(data)} bytes) - init of the sandbox is visible")
    except OSError as e:
        print(f"{f}: {e.strerror}")
