# the same tokens, but exact compares every byte inside a line
a, b = input().split()
print(a + "  " + b)
