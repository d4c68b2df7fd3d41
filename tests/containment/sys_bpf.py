# family: syscalls
# attack: bpf(BPF_MAP_CREATE), the first step of loading eBPF programs
# expect: syscall_blocked runtime_error ok
import ctypes, errno, os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
attr = (ctypes.c_uint32 * 30)(2, 4, 4, 1)  # BPF_MAP_TYPE_ARRAY, key 4, value 4, 1 entry
rc = libc.syscall(ctypes.c_long(321), ctypes.c_long(0), attr, ctypes.c_long(ctypes.sizeof(attr)))
if rc >= 0:
    print(f"ESCAPED bpf(BPF_MAP_CREATE) made map fd {rc}")
    os.close(rc)
else:
    print("bpf:", errno.errorcode.get(ctypes.get_errno()))
