# family: syscalls
# attack: ptrace (PTRACE_TRACEME), the first step of debugging/injecting
# expect: syscall_blocked runtime_error ok
import ctypes, os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
rc = libc.syscall(101, 0, 0, 0, 0)  # SYS_ptrace, PTRACE_TRACEME
if rc == 0:
    print("ESCAPED ptrace(PTRACE_TRACEME) succeeded")
else:
    print("ptrace:", os.strerror(ctypes.get_errno()))
