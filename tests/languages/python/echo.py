# expect: passed
# stdin: one\ntwo words\n\nthree\n
# want: one\ntwo words\n\nthree
import sys
sys.stdout.write(sys.stdin.read())
