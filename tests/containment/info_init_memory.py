# family: information
# attack: read init's memory, which is the supervisor's own (init shares it: src/sandbox/carrier.c): /proc/1/environ (database URLs), maps, auxv, mem, pagemap
# expect: ok
import os

for f in ("/proc/1/environ", "/proc/1/maps", "/proc/1/auxv", "/proc/1/pagemap", "/proc/1/syscall", "/proc/1/stack"):
    try:
        with open(f, "rb") as fh:
            data = fh.read(4096)
        if data:
            print(f"ESCAPED {f} readable: {len(data)} bytes of the supervisor's memory")
        else:
            print(f"{f}: opened, empty")
    except OSError as e:
        print(f"{f}: {e.strerror}")
try:
    fd = os.open("/proc/1/mem", os.O_RDONLY)
    print("ESCAPED /proc/1/mem opened: the supervisor's memory is readable")
    os.close(fd)
except OSError as e:
    print(f"/proc/1/mem: {e.strerror}")
