# family: filesystem
# attack: exhaust /tmp's inodes by creating empty files until ENOSPC
# expect: ok
import os

LIMIT = 100000
os.mkdir("/tmp/inodes")
n, err = 0, None
while n < LIMIT:
    try:
        os.close(os.open(f"/tmp/inodes/{n}", os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as e:
        err = e
        break
    n += 1
print(f"created {n} files in /tmp, then {err.strerror if err else 'no error'}")
if err is None:
    print(f"ESCAPED {LIMIT} files in /tmp without ENOSPC: no inode cap")
