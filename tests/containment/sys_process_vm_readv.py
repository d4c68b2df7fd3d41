# family: syscalls
# attack: process_vm_readv: read another process's memory (a child holding a secret)
# expect: syscall_blocked runtime_error ok
import ctypes, os, time

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
buf = ctypes.create_string_buffer(b"parent-copy-----", 32)
r, w = os.pipe()
child = os.fork()
if child == 0:
    buf.value = b"child-secret-42"  # same address, the child's own page now
    os.write(w, b"x")
    time.sleep(5)
    os._exit(0)
os.read(r, 1)
out = ctypes.create_string_buffer(32)
local = (ctypes.c_void_p * 2)(ctypes.addressof(out), 32)
remote = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 32)
rc = libc.syscall(ctypes.c_long(310), ctypes.c_long(child), local, ctypes.c_long(1), remote, ctypes.c_long(1),
                  ctypes.c_long(0))
if rc > 0 and out.value == b"child-secret-42":
    print(f"ESCAPED process_vm_readv read the child's memory: {out.value!r}")
else:
    print("process_vm_readv:", rc, os.strerror(ctypes.get_errno()))
os.kill(child, 9)
os.waitpid(child, 0)
