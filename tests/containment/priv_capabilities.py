# family: privilege
# attack: look for capabilities (CapEff/CapPrm/CapBnd/CapAmb/CapInh) and use them: sethostname, chown, nice, rlimits
# expect: ok
import ctypes, os

with open("/proc/self/status") as f:
    status = dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)
for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"):
    print(f"{k}: {status.get(k)}")
    if k.startswith("Cap") and int(status.get(k, "0"), 16):
        print(f"ESCAPED {k} is not empty: {status[k]}")
if status.get("NoNewPrivs") != "1":
    print("note: no_new_privs is not set")

libc = ctypes.CDLL(None, use_errno=True)

def attempt(what, fn):
    try:
        fn()
        print(f"ESCAPED {what} succeeded")
    except (OSError, ValueError) as e:
        print(f"{what}: {e.__class__.__name__} {getattr(e, 'strerror', None) or e}")

def sethostname():
    if libc.sethostname(b"pwned", 5) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))

with open("/tmp/f", "w"):
    pass
attempt("sethostname (CAP_SYS_ADMIN)", sethostname)
attempt("chown /tmp/f to 0:0 (CAP_CHOWN)", lambda: os.chown("/tmp/f", 0, 0))
attempt("chown /tmp/f to 4242 (CAP_CHOWN)", lambda: os.chown("/tmp/f", 4242, 4242))
attempt("nice -10 (CAP_SYS_NICE)", lambda: os.setpriority(os.PRIO_PROCESS, 0, -10))
attempt("raise RLIMIT_NOFILE hard limit (CAP_SYS_RESOURCE)",
        lambda: __import__("resource").setrlimit(__import__("resource").RLIMIT_NOFILE, (1 << 20, 1 << 20)))
