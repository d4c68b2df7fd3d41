# family: syscalls
# attack: machine-wide knobs: swapon/swapoff, clock_settime, settimeofday, adjtimex, syslog, acct, sethostname, setdomainname, iopl, ioperm, quotactl, vhangup
# expect: ok
import ctypes, errno, os, time

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def sc(name, nr, *args):
    ctypes.set_errno(0)
    rc = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    if rc >= 0:
        print(f"ESCAPED {name} returned {rc}")
    else:
        e = ctypes.get_errno()
        print(f"{name}: {errno.errorcode.get(e, e)}")

with open("/tmp/swap", "wb") as f:
    f.write(b"\0" * 65536)
sc("swapon /tmp/swap", 167, b"/tmp/swap", 0)
sc("swapoff /tmp/swap", 168, b"/tmp/swap")
now = time.clock_gettime_ns(time.CLOCK_REALTIME)
ts = (ctypes.c_long * 2)(now // 10**9, now % 10**9)  # the current time: harmless if it worked
sc("clock_settime(REALTIME, now)", 227, 0, ts)
tv = (ctypes.c_long * 2)(now // 10**9, (now % 10**9) // 1000)
sc("settimeofday(now)", 164, tv, None)
timex = (ctypes.c_uint8 * 256)()
ctypes.c_uint.from_buffer(timex).value = 0x4000  # ADJ_TAI with tai 0: a change, needs CAP_SYS_TIME
sc("adjtimex(ADJ_TAI)", 159, timex)
buf = ctypes.create_string_buffer(256)
sc("syslog(READ_ALL)", 103, 3, buf, 256)
sc("syslog(SIZE_BUFFER)", 103, 10, None, 0)
sc("acct(/tmp/acct)", 163, b"/tmp/acct")
sc("sethostname", 170, b"pwned", 5)
sc("setdomainname", 171, b"pwned", 5)
sc("iopl(3)", 172, 3)
sc("ioperm(0x80)", 173, 0x80, 1, 1)
sc("quotactl(Q_SYNC)", 179, 0x800001, None, 0, None)
sc("vhangup", 153)
print("hostname now:", os.uname().nodename)
