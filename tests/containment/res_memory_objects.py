# family: resources
# attack: exhaust memory with Python objects (lists of ints) past a 64 MiB limit
# expect: memory_limit
# args: --memory 64m --wall 5
keep, total = [], 0
while total < (1 << 30):
    keep.append(list(range(total, total + 100000)))  # ~3.6 MB of int objects and pointers
    total += 100000 * 36
print(f"ESCAPED held about {total >> 20} MiB of Python objects under a 64 MiB limit")
