# expect: runtime_error
# exit: 3
import sys
sys.exit(3)
