a, b = map(int, input().split())
print("%.7f" % (a / b), "exact-word" if b == 1 else "")
