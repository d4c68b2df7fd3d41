# expect: failed
# stdin: 3 4\n
# want: 7
a, b = map(int, input().split())
print(a - b)
