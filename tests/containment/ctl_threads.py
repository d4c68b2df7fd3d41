# family: control
# attack: none: four threads compute and are joined (threads must work under the pids limit)
# expect: ok
# output: threads ok 4 499999500000
import threading

results = [0] * 4

def work(i):
    results[i] = sum(range(i * 250000, (i + 1) * 250000))

ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(f"threads ok {len(ts)} {sum(results)}")
