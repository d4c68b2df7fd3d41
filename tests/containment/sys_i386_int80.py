# family: syscalls
# attack: the i386 entry point: int 0x80 getpid from an RWX page (seccomp filters written for x86_64 only miss it)
# expect: syscall_blocked runtime_error ok
import ctypes, mmap, os

# push rbx, rbp, r12-r15 (the compat entry may zero r8-r15); mov eax, 20 (i386 getpid);
# int 0x80; pop them back; ret
code = bytes.fromhex("53 55 4154 4155 4156 4157 b814000000 cd80 415f 415e 415d 415c 5d 5b c3".replace(" ", ""))
m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
m.write(code)
fn = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))
print("calling int 0x80 getpid", flush=True)
rc = fn()
if rc == os.getpid():
    print(f"ESCAPED int 0x80 getpid returned our pid {rc}: the i386 ABI is open")
else:
    print(f"int 0x80 getpid returned {rc} ({os.strerror(-rc) if rc < 0 else ''})")
