# expect: time_limit
# limits: --pids 16 --wall 2
# A fork bomb that keeps trying when fork fails (EAGAIN at pids.max): the
# pids limit holds it at 16 tasks and the wall timer ends the run.
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
