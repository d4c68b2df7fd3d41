# family: syscalls
# attack: the x32 entry point: syscall number 39|0x40000000 (getpid) from an RWX page
# expect: syscall_blocked runtime_error ok
import ctypes, mmap, os

# push rbx, rbp, r12-r15; mov eax, 0x40000027 (x32 getpid); syscall; pop; ret
code = bytes.fromhex("53 55 4154 4155 4156 4157 b827000040 0f05 415f 415e 415d 415c 5d 5b c3".replace(" ", ""))
m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
m.write(code)
fn = ctypes.CFUNCTYPE(ctypes.c_long)(ctypes.addressof(ctypes.c_char.from_buffer(m)))
print("calling x32 getpid", flush=True)
rc = fn()
if rc == os.getpid():
    print(f"ESCAPED x32 getpid returned our pid {rc}: the x32 ABI is open")
else:
    print(f"x32 getpid returned {rc} ({os.strerror(-rc) if rc < 0 else ''})")
