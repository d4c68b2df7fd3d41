# family: resources
# attack: start threads until it fails, under a 16-task pids limit
# expect: ok runtime_error
# args: --pids 16 --wall 30
import threading

stop = threading.Event()
threads = []
err = None
try:
    while len(threads) < 500:
        t = threading.Thread(target=stop.wait)
        t.start()
        threads.append(t)
except RuntimeError as e:
    err = e
print(f"started {len(threads)} threads, then: {err}")
stop.set()
for t in threads:
    t.join()
if len(threads) >= 16:
    print(f"ESCAPED {len(threads) + 1} tasks under a 16-task pids limit")
