# family: information
# attack: read the caller's environment (USER, SSH_*, NSJUDGE_*, secrets) from os.environ and /proc/self/environ
# expect: ok
import os

ALLOWED = {"PATH", "HOME", "LANG"}
env = dict(os.environ)
print("environment:", sorted(env))
for k in sorted(env):
    if k not in ALLOWED:
        print(f"ESCAPED unexpected variable {k}={env[k][:60]}")
if env.get("HOME") != "/tmp":
    print(f"ESCAPED HOME is {env.get('HOME')!r}, not /tmp")
with open("/proc/self/environ", "rb") as f:
    raw = [v.split(b"=", 1)[0].decode() for v in f.read().split(b"\0") if v]
for k in raw:
    if k not in ALLOWED:
        print(f"ESCAPED /proc/self/environ has {k}")
for pid in sorted({"1", str(os.getppid())}):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            keys = [v.split(b"=", 1)[0].decode() for v in f.read().split(b"\0") if v]
        extra = [k for k in keys if k not in ALLOWED]
        print(f"/proc/{pid}/environ: {keys}")
        if extra and pid != str(os.getpid()):
            print(f"ESCAPED the environment of pid {pid} (not this program) is readable: {extra}")
    except OSError as e:
        print(f"/proc/{pid}/environ: {e.strerror}")
