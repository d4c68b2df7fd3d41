# The same program, submitted with "keep_output": the exchange is kept as its stdout.
lo, hi = 1, 10**9
while lo < hi:
    mid = (lo + hi) // 2
    print("?", mid, flush=True)
    r = input().strip()
    if r == "=":
        lo = hi = mid
    elif r == "<":
        lo = mid + 1
    else:
        hi = mid - 1
print("!", lo, flush=True)
