# family: syscalls
# attack: reboot (LINUX_REBOOT_CMD_CAD_ON: harmless even where it is allowed)
# expect: syscall_blocked runtime_error ok
import ctypes, errno

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
rc = libc.syscall(ctypes.c_long(169), ctypes.c_long(0xfee1dead), ctypes.c_long(672274793),
                  ctypes.c_long(0x89ABCDEF), None)
e = ctypes.get_errno()
# EPERM = the capability check; EINVAL = passed it (a pid namespace refuses CAD_ON).
if rc >= 0 or e == errno.EINVAL:
    print(f"ESCAPED reboot got past the permission check: rc {rc} {errno.errorcode.get(e)}")
else:
    print("reboot:", errno.errorcode.get(e, e))
