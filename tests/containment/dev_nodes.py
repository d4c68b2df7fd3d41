# family: devices
# attack: open device nodes: /dev/mem, /dev/kmem, /dev/port, /dev/kmsg, disks (sda, vda, nvme), loop, fuse, tun, tty, console
# expect: ok
import os, stat

DEVICES = ["/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/sda", "/dev/sda1", "/dev/vda", "/dev/vda1",
           "/dev/xvda", "/dev/nvme0n1", "/dev/dm-0", "/dev/loop0", "/dev/loop-control", "/dev/fuse",
           "/dev/net/tun", "/dev/tty", "/dev/tty0", "/dev/tty1", "/dev/console", "/dev/cpu/0/msr", "/dev/hpet",
           "/dev/snapshot", "/dev/kvm", "/dev/vsock", "/dev/vhost-net", "/dev/rtc0"]
for p in DEVICES:
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as e:
        print(f"{p}: {e.strerror}")
        continue
    try:
        data = os.read(fd, 16)
        print(f"ESCAPED opened and read {p}: {len(data)} bytes")
    except OSError as e:
        print(f"ESCAPED opened {p} (read: {e.strerror})")
    os.close(fd)
nodes = []
for root, dirs, files in os.walk("/dev"):
    for n in files + dirs:
        p = os.path.join(root, n)
        st = os.lstat(p)
        if stat.S_ISBLK(st.st_mode):
            print(f"ESCAPED block device present: {p}")
        if stat.S_ISCHR(st.st_mode):
            nodes.append(f"{p}({os.major(st.st_rdev)},{os.minor(st.st_rdev)})")
print("character devices:", " ".join(sorted(nodes)))
try:
    open("/dev/pwned", "w").close()
    print("ESCAPED created /dev/pwned")
except OSError as e:
    print("create /dev/pwned:", e.strerror)
