# 1.1e-6 away: outside
a, b = map(int, input().split())
print("0.333334433333" if b == 3 else "2e0 exact-word")
