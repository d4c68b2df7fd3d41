# family: syscalls
# attack: init_module (load a kernel module; an empty image)
# expect: syscall_blocked runtime_error ok
import ctypes, errno

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
image = ctypes.create_string_buffer(b"\x7fELF", 64)
rc = libc.syscall(ctypes.c_long(175), image, ctypes.c_long(64), b"")
e = ctypes.get_errno()
# EPERM = the capability check; anything else means it got past it.
if rc >= 0 or e not in (errno.EPERM, errno.ENOSYS):
    print(f"ESCAPED init_module got past the permission check: rc {rc} {errno.errorcode.get(e)}")
else:
    print("init_module:", errno.errorcode.get(e, e))
