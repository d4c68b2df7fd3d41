# family: information
# attack: look at the id view: uid_map/gid_map (only 0 and 1000 inside), groups, ids of host files
# expect: ok
import os

for m in ("uid_map", "gid_map"):
    with open(f"/proc/self/{m}") as f:
        lines = [l.split() for l in f if l.strip()]
    print(f"{m}: {lines}")
    for inside, outside, count in lines:
        if inside not in ("0", "1000") or count != "1":
            print(f"ESCAPED {m} maps {count} ids from {inside} (host {outside}): host ids are visible")
try:
    with open("/proc/self/setgroups") as f:
        print("setgroups:", f.read().strip())
except OSError as e:
    print("setgroups:", e.strerror)
print("ids:", os.getresuid(), os.getresgid(), "groups", os.getgroups())
if os.getuid() != 1000 or any(g not in (1000,) for g in os.getgroups()):
    print(f"ESCAPED runs as uid {os.getuid()} with groups {os.getgroups()}, not as the unprivileged 1000")
