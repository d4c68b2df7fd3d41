# family: side-channel
# attack: copy 1 watches shared files (os.py, /etc/passwd, /dev/null, /, the stdlib dir) with inotify while copy 0 reads and writes them
# expect: ok
# pair: yes
import ctypes, os, struct, sys, time

TARGETS = ["/usr/lib/python3.11/os.py", "/etc/passwd", "/dev/null", "/", "/usr/lib/python3.11", "/usr/bin/python3"]
role = sys.stdin.readline().strip()
if role == "0":
    time.sleep(0.3)
    end = time.time() + 1.4
    while time.time() < end:
        for p in TARGETS:
            if os.path.isdir(p):
                os.listdir(p)
            elif p == "/dev/null":
                with open(p, "w") as f:
                    f.write("x")
            else:
                with open(p, "rb") as f:
                    f.read(4096)
        time.sleep(0.05)
    print("copy 0 read and wrote the shared files")
else:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK)
    if fd < 0:
        print("inotify_init1:", os.strerror(ctypes.get_errno()))
        sys.exit(0)
    # IN_ACCESS|IN_MODIFY|IN_ATTRIB|IN_CLOSE_WRITE|IN_CLOSE_NOWRITE|IN_OPEN
    mask = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20
    wds = {}
    for p in TARGETS:
        wd = libc.inotify_add_watch(fd, p.encode(), mask)
        if wd < 0:
            print(f"watch {p}: {os.strerror(ctypes.get_errno())}")
        else:
            wds[wd] = p
    # From here on copy 1 touches none of the targets: any event is the other run's.
    events, end = [], time.time() + 1.9
    while time.time() < end:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        off = 0
        while off < len(data):
            wd, m, _, ln = struct.unpack_from("iIII", data, off)
            events.append((wds.get(wd, wd), hex(m)))
            off += 16 + ln
    for p, m in sorted(set(events)):
        print(f"ESCAPED inotify event {m} on {p}: another run touched it")
    print(f"copy 1 watched {len(wds)} paths, got {len(events)} events")
