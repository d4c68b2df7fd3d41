# family: resources
# attack: spin in 4 processes at once to get more CPU time than the 1 s limit (it is the cgroup's total)
# expect: time_limit
# args: --time 1 --wall 6
import ctypes, mmap, os, time

N = 4
shared = mmap.mmap(-1, 8 * N, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
slots = (ctypes.c_double * N).from_buffer(shared)
for i in range(N):
    if os.fork() == 0:
        x = 0
        while True:
            for _ in range(20000):
                x += 1
            slots[i] = time.process_time()
while True:
    time.sleep(0.1)
    total = sum(slots)
    if total > 2.0:
        print(f"ESCAPED the children used {total:.1f} s of CPU under a 1 s limit")
        break
