# family: resources
# attack: flood stderr with 16 MiB under a 64 KiB output limit
# expect: output_limit
# args: --output 64k --wall 5
import sys

chunk = "E" * 65535 + "\n"
try:
    for _ in range(256):
        sys.stderr.write(chunk)
    sys.stderr.flush()
except BrokenPipeError:
    pass
