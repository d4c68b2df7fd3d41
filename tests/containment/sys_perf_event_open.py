# family: syscalls
# attack: perf_event_open (a software cpu-clock counter on itself: allowed to users by perf_event_paranoid<=2)
# expect: syscall_blocked runtime_error ok
import ctypes, errno, os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
attr = (ctypes.c_uint8 * 128)()
ctypes.c_uint32.from_buffer(attr, 0).value = 1  # PERF_TYPE_SOFTWARE
ctypes.c_uint32.from_buffer(attr, 4).value = 128  # size
ctypes.c_uint64.from_buffer(attr, 8).value = 0  # PERF_COUNT_SW_CPU_CLOCK
ctypes.c_uint64.from_buffer(attr, 40).value = 1 | (1 << 5) | (1 << 6)  # disabled, exclude_kernel, exclude_hv
rc = libc.syscall(ctypes.c_long(298), attr, ctypes.c_long(0), ctypes.c_long(-1), ctypes.c_long(-1), ctypes.c_long(0))
if rc >= 0:
    print(f"ESCAPED perf_event_open gave fd {rc}")
    os.close(rc)
else:
    print("perf_event_open:", errno.errorcode.get(ctypes.get_errno()))
