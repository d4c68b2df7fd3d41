# family: resources
# attack: take the host-wide aio pool (fs.aio-max-nr) with io_setup of 65535 events, which makes io_setup fail for every other process
# expect: ok
import ctypes, os

libc = ctypes.CDLL(None, use_errno=True)
ctx = ctypes.c_ulong(0)
rc = libc.syscall(206, 65535, ctypes.byref(ctx))  # io_setup
if rc == 0:
    print("ESCAPED io_setup took 65535 events of the host's aio pool")
else:
    print("io_setup:", os.strerror(ctypes.get_errno()))
