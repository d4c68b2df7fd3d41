# family: processes
# attack: classic fork bomb: every process forks forever, ignoring failures
# expect: time_limit runtime_error
# args: --wall 2 --pids 16
import os

while True:
    try:
        os.fork()
    except OSError:
        pass
