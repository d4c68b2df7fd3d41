import sys
data = sys.stdin.buffer
n = int(data.readline())
s = 0
for _ in range(n):
    s += int(data.readline())
print(s, flush=True)
