# family: processes
# attack: SIGSTOP its own children and leave them stopped; signal (stop, term, kill) pid 1, the sandbox's init
# expect: ok
import os, signal, time

kids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.kill(pid, signal.SIGSTOP)
    _, st = os.waitpid(pid, os.WUNTRACED)
    print(f"child {pid} stopped: {os.WIFSTOPPED(st)}")

if os.getpid() == 1:
    print("this program is pid 1 itself: there is no separate init to attack")
else:
    for sig in (0, signal.SIGSTOP, signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(1, sig)
            print(f"ESCAPED kill(1, {sig}) succeeded: the program may signal the sandbox's init", flush=True)
        except OSError as e:
            print(f"kill(1, {sig}): {e.__class__.__name__} {e.strerror}")
# Still alive, init still working (the verdict must be ok); the stopped
# children are left for the sandbox to clean up.
print("exiting with stopped children left behind")
