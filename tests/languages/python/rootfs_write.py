# expect: ok
# stdout: root=readonly
# The rootfs and /code are read-only; only /tmp is writable.
import os
ok = True
for path in ("/etc/x", "/usr/x", "/x", "/code/x"):
    try:
        with open(path, "w") as f:
            f.write("x")
        ok = False
    except OSError:
        pass
with open("/tmp/x", "w") as f:
    f.write("x")
print("root=" + ("readonly" if ok else "writable"))
