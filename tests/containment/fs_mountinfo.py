# family: filesystem
# attack: learn host paths from /proc/self/mountinfo (bind sources, overlay lowerdir/upperdir)
# expect: ok
import os

# A path names something on the host when it is deep (two or more components)
# and does not exist inside, or when it starts with a host-only directory.
HOST_TOP = {"work", "root", "home", "srv", "opt", "mnt", "run", "boot"}

def host_path(p):
    parts = [c for c in p.split("/") if c]
    if not p.startswith("/") or not parts:
        return False
    # A layer passed as an fd of the mounting process names no host path.
    if p.startswith("/proc/self/fd/") and p[len("/proc/self/fd/"):].isdigit():
        return False
    return parts[0] in HOST_TOP or (len(parts) >= 2 and not os.path.lexists(p))

leaks = set()
with open("/proc/self/mountinfo") as f:
    lines = f.read().splitlines()
for line in lines:
    pre, post = line.split(" - ", 1)
    fields = pre.split()
    root, point = fields[3], fields[4]
    fstype, source, opts = (post.split() + ["", ""])[:3]
    print(f"{point} {fstype} root={root} source={source} {opts}")
    cands = [root, source]
    for o in opts.split(","):
        if "=" in o and o.split("=", 1)[0] in ("lowerdir", "upperdir", "workdir", "lowerdir+", "datadir+"):
            cands += o.split("=", 1)[1].split(":")
    for c in cands:
        if host_path(c):
            leaks.add(c)
for c in sorted(leaks):
    print(f"ESCAPED mountinfo reveals the host path {c}")
print(f"{len(lines)} mounts, {len(leaks)} host paths")
