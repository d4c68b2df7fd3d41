n = int(input())
print(n + (2 if n == 30 else 1))
