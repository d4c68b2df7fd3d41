# family: filesystem
# attack: reach host files through symlinks (/tmp/x -> /proc/1/root, -> ../../..) and ../ walks
# expect: ok
import os

# Paths that exist on a host but not in the judge's rootfs.
HOST_ONLY = ["/work", "/root", "/etc/shadow", "/home", "/boot", "/var/lib", "/var/cache", "/usr/bin/gcc",
             "/bin/sh", "/etc/ssh", "/usr/sbin", "/sbin", "/srv", "/opt", "/mnt", "/root/.bashrc"]

links = {"/tmp/init-root": "/proc/1/root", "/tmp/up": "../../../../../../../..",
         "/tmp/self-root": "/proc/self/root", "/tmp/cwd-up": "/proc/self/cwd/../../../.."}
for name, target in links.items():
    os.symlink(target, name)

prefixes = [""] + list(links) + ["/code/" + "../" * 12, "/tmp/" + "../" * 12, "/proc/self/root/" + "../" * 12,
                                 "/proc/self/cwd/" + "../" * 12, "/dev/shm/../../.."]
found = 0
for prefix in prefixes:
    for p in HOST_ONLY:
        path = prefix.rstrip("/") + p if prefix else p
        try:
            os.lstat(path)
        except OSError:
            continue
        found += 1
        print(f"ESCAPED host path visible: {path}")
for prefix in prefixes[1:]:
    try:
        entries = sorted(os.listdir(prefix or "/"))
        print(f"{prefix}: {' '.join(entries)}")
    except OSError as e:
        print(f"{prefix}: {e.strerror}")
try:
    with open("/tmp/up/etc/shadow") as f:
        print("ESCAPED read /etc/shadow:", f.readline().strip())
except OSError as e:
    print("/etc/shadow via ..:", e.strerror)
try:
    os.link("/etc/passwd", "/tmp/passwd-link")
    print("hard link of /etc/passwd into /tmp made (same rootfs file, read-only)")
except OSError as e:
    print("hard link /etc/passwd -> /tmp:", e.strerror)
print(f"{found} host paths visible")
