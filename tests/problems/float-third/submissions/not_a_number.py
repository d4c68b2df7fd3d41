a, b = map(int, input().split())
print("one-third" if b == 3 else "2.0000001 exact-word")
