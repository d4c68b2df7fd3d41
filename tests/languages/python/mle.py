# expect: memory_limit
# limits: --memory 64m
x = []
while True:
    x.append(" " * (1 << 20))
