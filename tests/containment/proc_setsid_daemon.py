# family: processes
# attack: a setsid double-forked daemon, ignoring SIGTERM/SIGHUP, that outlives main and keeps stdout open
# expect: ok
import os, signal, time

r = os.fork()
if r == 0:
    os.setsid()
    if os.fork() == 0:
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)
        time.sleep(2)
        # Only reaches the captured output if the run did not end with main.
        print("ESCAPED the daemon outlived main by 2 s", flush=True)
        time.sleep(30)
        os._exit(0)
    os._exit(0)
os.waitpid(r, 0)
print("main exits, leaving the daemon behind")
