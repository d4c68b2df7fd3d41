# expect: runtime_error
# signal: 11
# A null dereference in the interpreter through ctypes: SIGSEGV.
import ctypes
ctypes.string_at(0)
