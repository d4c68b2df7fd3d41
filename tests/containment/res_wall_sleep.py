# family: resources
# attack: sleep (no CPU) far past the 2 s wall-clock limit
# expect: time_limit
# args: --wall 2
import time

time.sleep(20)
print("ESCAPED slept 20 s under a 2 s wall limit")
