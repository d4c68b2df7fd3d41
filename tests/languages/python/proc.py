# expect: ok
# stdout: procs=1 pid1=hidden
# The pid namespace and hidepid=invisible: the program sees only itself,
# not the sandbox's init (pid 1) nor any host process.
import os
procs = [e for e in os.listdir("/proc") if e.isdigit()]
print("procs=%d pid1=%s" % (len(procs), "visible" if os.path.exists("/proc/1") else "hidden"))
