# family: information
# attack: learn the host's cgroup layout and limits (/proc/self/cgroup paths, /proc/self/mountinfo cgroup mounts)
# expect: ok
with open("/proc/self/cgroup") as f:
    lines = f.read().splitlines()
for line in lines:
    hid, ctrls, path = line.split(":", 2)
    print(f"{ctrls or 'unified'}: {path}")
    if path != "/":
        print(f"ESCAPED the cgroup path {path} of {ctrls or 'unified'} reveals the host's hierarchy")
