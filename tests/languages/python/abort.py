# expect: runtime_error
# signal: 6
# os.abort() raises SIGABRT in the interpreter itself.
import os
os.abort()
