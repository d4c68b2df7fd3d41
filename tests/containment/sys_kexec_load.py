# family: syscalls
# attack: kexec_load (load a new kernel; invalid flags, so nothing happens even where it is allowed)
# expect: syscall_blocked runtime_error ok
import ctypes, errno

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
rc = libc.syscall(ctypes.c_long(246), ctypes.c_long(0), ctypes.c_long(0), None, ctypes.c_long(0x5a5a0000))
e = ctypes.get_errno()
# EPERM = the capability check; EINVAL would mean it got past it; ENOSYS = no kexec in the kernel.
if rc >= 0 or e == errno.EINVAL:
    print(f"ESCAPED kexec_load got past the permission check: rc {rc} {errno.errorcode.get(e)}")
else:
    print("kexec_load:", errno.errorcode.get(e, e))
