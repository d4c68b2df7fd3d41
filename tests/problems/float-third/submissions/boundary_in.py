# exactly 1e-6 away from the expected 0.333333333333 (the bound is inclusive)
a, b = map(int, input().split())
print("0.333334333333" if b == 3 else "2 exact-word")
