# family: resources
# attack: flood stdout with 16 MiB under a 64 KiB output limit
# expect: output_limit
# args: --output 64k --wall 5
import sys

chunk = "A" * 65535 + "\n"
try:
    for _ in range(256):
        sys.stdout.write(chunk)
    sys.stdout.flush()
except BrokenPipeError:
    pass
