# family: processes
# attack: find processes outside its own tree through /proc and kill(pid, 0) probing, and signal them
# expect: ok
import os, signal, time

child = os.fork()
if child == 0:
    time.sleep(3)
    os._exit(0)
me = os.getpid()
mine = {me, child}
visible = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print("visible in /proc:", visible)
for pid in visible:
    try:
        with open(f"/proc/{pid}/status") as f:
            st = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
        desc = f"{st['Name'].strip()} uid {st['Uid'].split()[0]} ppid {st['PPid'].strip()}"
    except (OSError, KeyError) as e:
        desc = str(e)
    if pid not in mine and pid != 1:
        print(f"ESCAPED foreign process visible: pid {pid} {desc}")
    elif pid == 1 and pid != me:
        print(f"pid 1 visible: {desc}")
# Processes that exist but are hidden from /proc answer EPERM, not ESRCH.
exists = []
for pid in range(1, 4097):
    try:
        os.kill(pid, 0)
        exists.append(pid)
    except PermissionError:
        exists.append(pid)
    except ProcessLookupError:
        pass
print("kill(pid, 0) finds:", exists)
for pid in exists:
    if pid not in mine and pid != 1:
        try:
            os.kill(pid, signal.SIGSTOP)
            print(f"ESCAPED stopped a foreign process {pid}")
            os.kill(pid, signal.SIGCONT)
        except OSError as e:
            print(f"ESCAPED foreign process {pid} exists (signal: {e.strerror})")
os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)
