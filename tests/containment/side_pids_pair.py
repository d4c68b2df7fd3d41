# family: side-channel
# attack: copy 1 looks for copy 0's processes (/proc and kill(pid, 0)) while copy 0 runs three children
# expect: ok
# pair: yes
import os, sys, time

role = sys.stdin.readline().strip()
if role == "0":
    kids = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            time.sleep(2)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
    print("copy 0 ran three children")
else:
    time.sleep(0.5)
    me = os.getpid()
    visible = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (me, 1)]
    for pid in visible:
        print(f"ESCAPED /proc shows a process that is not ours: {pid}")
    alive = []
    for pid in range(2, 4097):
        if pid == me:
            continue
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except PermissionError:
            alive.append(pid)
        except ProcessLookupError:
            pass
    for pid in alive:
        print(f"ESCAPED kill({pid}, 0) finds a process that is not ours")
    print(f"copy 1 (pid {me}) sees {len(visible)} other processes in /proc, {len(alive)} by kill")
