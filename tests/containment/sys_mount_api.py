# family: syscalls
# attack: the mount family: mount, umount2, pivot_root, chroot and the new mount API (fsopen, fspick, open_tree, fsmount, move_mount, mount_setattr)
# expect: ok
import ctypes, errno, os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def sc(name, nr, *args):
    ctypes.set_errno(0)
    rc = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    if rc >= 0:
        print(f"ESCAPED {name} returned {rc}")
    else:
        e = ctypes.get_errno()
        print(f"{name}: {errno.errorcode.get(e, e)}")
    return rc

os.makedirs("/tmp/m", exist_ok=True)
AT_FDCWD = -100
sc("mount tmpfs /tmp/m", 165, b"none", b"/tmp/m", b"tmpfs", 0, None)
sc("mount bind / /tmp/m", 165, b"/", b"/tmp/m", None, 0x1000, None)  # MS_BIND
sc("mount remount / rw", 165, None, b"/", None, 0x20, None)  # MS_REMOUNT
sc("umount2 /proc (MNT_DETACH)", 166, b"/proc", 2)
sc("pivot_root /tmp /tmp/m", 155, b"/tmp", b"/tmp/m")
sc("fsopen tmpfs", 430, b"tmpfs", 0)
sc("fsopen proc", 430, b"proc", 0)
sc("fspick /", 433, AT_FDCWD, b"/", 0)
sc("open_tree / OPEN_TREE_CLONE", 428, AT_FDCWD, b"/", 1)
sc("fsconfig on fd 0", 431, 0, 6, None, None, 0)  # FSCONFIG_CMD_CREATE
sc("fsmount on fd 0", 432, 0, 0, 0)
sc("move_mount /tmp/m -> /code", 429, AT_FDCWD, b"/tmp/m", AT_FDCWD, b"/code", 0)
attr = (ctypes.c_uint64 * 4)(0, 1, 0, 0)  # clear MOUNT_ATTR_RDONLY
sc("mount_setattr / rw", 442, AT_FDCWD, b"/", 0, attr, 32)
sc("chroot /tmp/m", 161, b"/tmp/m")
