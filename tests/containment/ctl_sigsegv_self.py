# family: control
# attack: none: the program sends itself SIGSEGV (a sandbox whose program is pid 1 ignores it and says ok)
# expect: runtime_error
# output: sending SIGSEGV to myself
import os, signal, time

print("sending SIGSEGV to myself", flush=True)
os.kill(os.getpid(), signal.SIGSEGV)
time.sleep(1)
print("still alive: the signal was ignored")
