# family: side-channel
# attack: SysV IPC with a fixed key: shared memory, message queue and semaphore made by copy 0, looked up by copy 1
# expect: ok
# pair: yes
import ctypes, errno, sys, time

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
KEY, IPC_CREAT, IPC_RMID = 0x4E534A43, 0o1000, 0

def err():
    return errno.errorcode.get(ctypes.get_errno(), "?")

role = sys.stdin.readline().strip()
if role == "0":
    shm = libc.shmget(KEY, 4096, IPC_CREAT | 0o666)
    if shm >= 0:
        addr = libc.shmat(shm, None, 0)
        ctypes.memmove(addr, b"secret-from-copy-0\0", 19)
    msq = libc.msgget(KEY, IPC_CREAT | 0o666)
    if msq >= 0:
        msg = ctypes.create_string_buffer(b"\x01\0\0\0\0\0\0\0secret-from-copy-0", 32)
        libc.msgsnd(msq, msg, 18, 0)
    sem = libc.semget(KEY, 1, IPC_CREAT | 0o666)
    print(f"copy 0: shm {shm} msq {msq} sem {sem}")
    time.sleep(2)
    for fn, ident in ((libc.shmctl, shm), (libc.msgctl, msq)):
        if ident >= 0:
            fn(ident, IPC_RMID, None)
    if sem >= 0:
        libc.semctl(sem, 0, IPC_RMID)
else:
    time.sleep(0.2)
    deadline, found = time.time() + 1.5, False
    while time.time() < deadline and not found:
        shm = libc.shmget(KEY, 0, 0)
        if shm >= 0:
            addr = libc.shmat(shm, None, 0o10000)  # SHM_RDONLY
            print(f"ESCAPED found the other run's shared memory: {ctypes.string_at(addr, 18)!r}")
            found = True
        msq = libc.msgget(KEY, 0)
        if msq >= 0:
            print(f"ESCAPED found the other run's message queue {msq}")
            found = True
        sem = libc.semget(KEY, 0, 0)
        if sem >= 0:
            print(f"ESCAPED found the other run's semaphore {sem}")
            found = True
        time.sleep(0.05)
    if not found:
        print(f"shmget/msgget/semget of key {KEY:#x}: {err()}")
    for f in ("shm", "msg", "sem"):
        with open(f"/proc/sysvipc/{f}") as fh:
            rows = fh.read().splitlines()[1:]
        if rows:
            print(f"ESCAPED /proc/sysvipc/{f} lists {len(rows)} objects of others")
