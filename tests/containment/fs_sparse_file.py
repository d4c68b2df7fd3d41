# family: filesystem
# attack: huge files in /tmp: a byte at 1 TiB (sparse), ftruncate to 1 TiB, fallocate 1 GiB, 80 MiB of real data
# expect: ok
# Held: the file-size rlimit (EFBIG) or the tmpfs size cap (ENOSPC) stops every one.
import os

def attempt(what, fn):
    try:
        fn()
        st = os.stat("/tmp/big")
        print(f"ESCAPED {what}: size {st.st_size}, {st.st_blocks * 512} bytes allocated")
    except OSError as e:
        print(f"{what}: {e.__class__.__name__} {e.strerror}")
    try:
        os.unlink("/tmp/big")
    except OSError:
        pass

def sparse():
    with open("/tmp/big", "wb") as f:
        f.seek(1 << 40)
        f.write(b"x")

def truncate():
    with open("/tmp/big", "wb") as f:
        f.truncate(1 << 40)

def falloc():
    fd = os.open("/tmp/big", os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        os.posix_fallocate(fd, 0, 1 << 30)
    finally:
        os.close(fd)

def real():
    with open("/tmp/big", "wb") as f:
        for _ in range(80):
            f.write(b"y" * (1 << 20))

attempt("wrote a byte at offset 1 TiB", sparse)
attempt("ftruncate to 1 TiB", truncate)
attempt("fallocate 1 GiB", falloc)
attempt("wrote 80 MiB into one file", real)
