# family: persistence
# attack: leave files under fixed names in /tmp, /dev/shm, /var/tmp, /code, $HOME for a later (or concurrent) run to find
# expect: ok
# pair: yes
import os, sys, time

role = sys.stdin.readline().strip()
token = f"run-{role}-{os.getpid()}-{time.time_ns()}"
NAMES = ["/tmp/nsjudge-corpus-persist", "/dev/shm/nsjudge-corpus-persist", "/var/tmp/nsjudge-corpus-persist",
         "/code/nsjudge-corpus-persist", os.path.expanduser("~/.nsjudge-corpus-persist"),
         "/tmp/.cache/nsjudge-corpus-persist"]
if role == "1":
    time.sleep(0.3)  # let copy 0 write first, so either order is tried
written = []
for p in NAMES:
    if os.path.exists(p):
        with open(p) as f:
            print(f"ESCAPED {p} already existed, left by another run: {f.read().strip()}")
        continue
    try:
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(token)
        written.append(p)
    except OSError as e:
        print(f"{p}: {e.strerror}")
print(f"copy {role} wrote {len(written)} files")
time.sleep(1.0)
for p in written:
    with open(p) as f:
        seen = f.read().strip()
    if seen != token:
        print(f"ESCAPED {p} now holds another run's token: {seen}")
