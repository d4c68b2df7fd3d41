# family: control
# attack: none: a real crash, reading address 0 through ctypes
# expect: runtime_error
# output: reading address 0
import ctypes

print("reading address 0", flush=True)
ctypes.string_at(0)
print("still alive after reading address 0")
