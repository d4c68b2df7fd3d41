# family: control
# attack: none: exit with status 3 (must be a runtime_error, not ok)
# expect: runtime_error
# output: about to exit 3
import sys

print("about to exit 3", flush=True)
sys.exit(3)
