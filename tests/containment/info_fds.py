# family: information
# attack: use descriptors inherited from the caller (anything beyond 0, 1, 2)
# expect: ok
import os, stat

for fd in range(3):
    try:
        print(f"fd {fd}: {os.readlink(f'/proc/self/fd/{fd}')}")
    except OSError as e:
        print(f"fd {fd}: {e.strerror}")
# Probe first, before opening anything ourselves.
inherited = []
for fd in range(3, 4096):
    try:
        os.fstat(fd)
        inherited.append(fd)
    except OSError:
        pass
for fd in inherited:
    st = os.fstat(fd)
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError as e:
        target = e.strerror
    print(f"ESCAPED inherited fd {fd}: {target} mode {stat.filemode(st.st_mode)}")
print(f"{len(inherited)} descriptors beyond 0-2")
if os.isatty(0) or os.isatty(1):
    print("ESCAPED a terminal of the caller is attached")
