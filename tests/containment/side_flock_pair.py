# family: side-channel
# attack: a channel through locks on shared inodes: flock and fcntl locks on python3, /etc/passwd, /dev/null, /, os.py
# expect: ok
# pair: yes
import fcntl, os, struct, sys, time

TARGETS = ["/usr/bin/python3", "/etc/passwd", "/dev/null", "/", "/usr/lib/python3.11/os.py", "/code/main.py"]
role = sys.stdin.readline().strip()
if role == "0":
    held = []
    for p in TARGETS:
        rw = p == "/dev/null"
        try:
            fd = os.open(p, os.O_RDWR if rw else os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.lockf(fd, (fcntl.LOCK_EX if rw else fcntl.LOCK_SH) | fcntl.LOCK_NB)
            held.append(p)
        except OSError as e:
            print(f"lock {p}: {e.strerror}")
    print(f"copy 0 holds flock + fcntl locks on {held}")
    time.sleep(2)
else:
    time.sleep(0.2)
    deadline, seen = time.time() + 1.4, set()
    while time.time() < deadline:
        for p in TARGETS:
            try:
                fd = os.open(p, os.O_RDONLY)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_UN)
            except BlockingIOError:
                if ("flock", p) not in seen:
                    print(f"ESCAPED flock on {p} is held by another run")
                seen.add(("flock", p))
            query = struct.pack("hhqqii", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0, 0)
            ltype, _, _, _, pid, _ = struct.unpack("hhqqii", fcntl.fcntl(fd, fcntl.F_GETLK, query))
            if ltype != fcntl.F_UNLCK and ("fcntl", p) not in seen:
                print(f"ESCAPED F_GETLK on {p}: another run (pid {pid}) holds a lock")
                seen.add(("fcntl", p))
            os.close(fd)
        time.sleep(0.1)
    print(f"copy 1 saw {len(seen)} foreign locks")
