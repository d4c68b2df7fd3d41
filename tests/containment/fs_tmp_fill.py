# family: filesystem
# attack: fill /tmp and /dev/shm until ENOSPC (size caps; the host's disk and memory must not suffer)
# expect: ok
import os

CHUNK = b"x" * (1 << 20)
for d in ("/tmp", "/dev/shm"):
    st = os.statvfs(d)
    print(f"{d}: {st.f_blocks * st.f_frsize >> 20} MiB, {st.f_files} inodes")
    total, i, err = 0, 0, None
    while total < (256 << 20) and err is None:
        # Several files: one file stops at the file-size rlimit first.
        try:
            with open(f"{d}/fill{i}", "wb") as f:
                for _ in range(8):
                    total += f.write(CHUNK)
        except OSError as e:
            err = e
        i += 1
    mib = total / (1 << 20)
    print(f"{d}: wrote {mib:.0f} MiB, then {err.strerror if err else 'no error'}")
    if total > (66 << 20):
        print(f"ESCAPED {d} took {mib:.0f} MiB: no 64 MiB size cap")
    for j in range(i):
        try:
            os.unlink(f"{d}/fill{j}")
        except OSError:
            pass
