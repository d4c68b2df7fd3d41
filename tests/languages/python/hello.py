# expect: passed
# want: hello, world
print("hello, world")
