# family: resources
# attack: mmap 1 GiB anonymous memory and touch every page, under a 64 MiB limit
# expect: memory_limit
# args: --memory 64m --wall 5
import mmap

SIZE = 1 << 30
m = mmap.mmap(-1, SIZE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
for off in range(0, SIZE, 4096):
    m[off] = 1
print("ESCAPED touched 1 GiB of anonymous memory under a 64 MiB limit")
