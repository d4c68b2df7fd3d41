# family: syscalls
# attack: kernel state shared between runs or attack surface: keyrings, io_uring, userfaultfd, personality, fanotify, handles, pidfd_getfd, kcmp, migrate_pages
# expect: ok
import ctypes, errno, os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def sc(name, nr, *args, ok=lambda rc: rc >= 0):
    ctypes.set_errno(0)
    rc = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    if ok(rc):
        print(f"ESCAPED {name} returned {rc}")
    else:
        e = ctypes.get_errno()
        print(f"{name}: {errno.errorcode.get(e, e) if rc < 0 else 'returned ' + str(rc)}")
    return rc

KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING = -4, -3
sc("keyctl(GET_KEYRING_ID, user)", 250, 0, KEY_SPEC_USER_KEYRING, 0)
sc("add_key user to the session keyring", 248, b"user", b"nsjudge-corpus", b"x", 1, KEY_SPEC_SESSION_KEYRING)
sc("request_key", 249, b"user", b"nsjudge-corpus", None, 0)
params = (ctypes.c_uint8 * 120)()
sc("io_uring_setup(8)", 425, 8, params)
sc("io_uring_enter(fd 0)", 426, 0, 0, 0, 0, None, 0, ok=lambda rc: rc == 0)
sc("userfaultfd", 323, 0)
sc("userfaultfd(UFFD_USER_MODE_ONLY)", 323, 1)
sc("personality(PER_LINUX32)", 135, 0x0008)
sc("personality(READ_IMPLIES_EXEC)", 135, 0x0400000)
rc = libc.syscall(ctypes.c_long(135), ctypes.c_long(0xffffffff))
print(f"personality(query) = {rc:#x} (allowed: reading only)")
sc("fanotify_init", 300, 0, 0)
handle = (ctypes.c_uint8 * 136)()
handle[0] = 128  # handle_bytes
mount_id = ctypes.c_int()
sc("name_to_handle_at /etc/passwd", 303, -100, b"/etc/passwd", handle, ctypes.byref(mount_id), 0)
pidfd = libc.syscall(ctypes.c_long(434), ctypes.c_long(os.getpid()), ctypes.c_long(0))  # pidfd_open: allowed
sc("pidfd_getfd(self, 0)", 438, pidfd, 0, 0)
sc("kcmp(self, self, KCMP_FILE 0 1)", 312, os.getpid(), os.getpid(), 0, 0, 1, ok=lambda rc: rc >= 0)
mask = ctypes.c_ulong(1)
sc("migrate_pages(self)", 256, os.getpid(), 64, ctypes.byref(mask), ctypes.byref(mask))
sc("lookup_dcookie", 212, 0, None, 0)
