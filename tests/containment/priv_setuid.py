# family: privilege
# attack: become root: setuid(0), setgid(0), setresuid, setreuid, seteuid, setgroups([0]), setfsuid(0)
# expect: ok
import ctypes, os

libc = ctypes.CDLL(None, use_errno=True)
print("before:", os.getresuid(), os.getresgid(), os.getgroups())

def attempt(what, fn):
    try:
        fn()
        print(f"{what}: succeeded")
    except OSError as e:
        print(f"{what}: {e.__class__.__name__} {e.strerror}")

attempt("setgroups([0])", lambda: os.setgroups([0]))
attempt("setgid(0)", lambda: os.setgid(0))
attempt("setresgid(0,0,0)", lambda: os.setresgid(0, 0, 0))
attempt("setuid(0)", lambda: os.setuid(0))
attempt("setresuid(0,0,0)", lambda: os.setresuid(0, 0, 0))
attempt("setreuid(0,0)", lambda: os.setreuid(0, 0))
attempt("seteuid(0)", lambda: os.seteuid(0))
attempt("setuid(65534)", lambda: os.setuid(65534))
libc.setfsuid(0)
with open("/proc/self/status") as f:
    status = {l.split(":")[0]: l.split(":", 1)[1].split() for l in f if ":" in l}
print("after:", os.getresuid(), os.getresgid(), os.getgroups(), "fsuid", status["Uid"][3])
if 0 in os.getresuid() or 0 in os.getresgid() or 0 in os.getgroups() or status["Uid"][3] == "0":
    print("ESCAPED the program holds uid or gid 0")
