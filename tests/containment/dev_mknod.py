# family: devices
# attack: make device nodes (mem 1:1, a disk 8:0, kmsg 1:11) in /tmp and /dev/shm and open them
# expect: ok
import os, stat

for d in ("/tmp", "/dev/shm"):
    for name, kind, major, minor in (("mem", stat.S_IFCHR, 1, 1), ("sda", stat.S_IFBLK, 8, 0),
                                     ("kmsg", stat.S_IFCHR, 1, 11)):
        p = f"{d}/{name}"
        try:
            os.mknod(p, kind | 0o666, os.makedev(major, minor))
        except OSError as e:
            print(f"mknod {p}: {e.strerror}")
            continue
        print(f"mknod {p}: made (CAP_MKNOD)")
        try:
            fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
            data = os.read(fd, 16)
            os.close(fd)
            print(f"ESCAPED read {len(data)} bytes from device {major}:{minor} through {p}")
        except OSError as e:
            print(f"open/read {p}: {e.strerror}")
