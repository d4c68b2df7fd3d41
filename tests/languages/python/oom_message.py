# expect: memory_limit
# limits: --memory 64m
# Python's own MemoryError (an allocation the kernel refuses at once, long
# before the cgroup's limit): memory_limit, with the message as evidence.
x = bytearray(1 << 40)
