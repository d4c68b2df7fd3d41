# family: processes
# attack: kill(-1, SIGKILL): signal every process it can reach
# expect: ok runtime_error
import os, signal, time

kids = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    kids.append(pid)
try:
    os.kill(-1, signal.SIGKILL)
    print("kill(-1, SIGKILL): 0")
except OSError as e:
    print(f"kill(-1, SIGKILL): {e.strerror}")
for pid in kids:
    _, st = os.waitpid(pid, 0)
    print(f"child {pid}: {'killed by ' + str(os.WTERMSIG(st)) if os.WIFSIGNALED(st) else 'exited'}")
print("the caller survived")
