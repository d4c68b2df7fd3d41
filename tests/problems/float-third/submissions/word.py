a, b = map(int, input().split())
print("%.9f" % (a / b), "Exact-word" if b == 1 else "")
