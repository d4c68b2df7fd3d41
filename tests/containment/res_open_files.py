# family: resources
# attack: open files until EMFILE, then try to raise RLIMIT_NOFILE
# expect: ok
import os, resource

fds = []
try:
    while len(fds) < 100000:
        fds.append(os.open("/dev/null", os.O_RDONLY))
except OSError as e:
    print(f"opened {len(fds)} fds, then {e.strerror}")
if len(fds) >= 100000:
    print("ESCAPED opened 100000 files: no descriptor limit")
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
print("RLIMIT_NOFILE:", soft, hard)
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard * 4, hard * 4))
    print(f"ESCAPED raised RLIMIT_NOFILE to {hard * 4}")
except (ValueError, OSError) as e:
    print("raise RLIMIT_NOFILE:", e)
for fd in fds:
    os.close(fd)
