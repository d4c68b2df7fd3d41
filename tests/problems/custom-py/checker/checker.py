# The doubling checker again, in Python, in testlib's convention. An
# uncaught exception would exit 1 (= wrong answer): a checker catches its
# own failures and exits 3.
import os
import sys

def quit(code, msg):
    sys.stderr.write(msg + "\n")
    sys.exit(code)

try:
    out = open(sys.argv[2]).read().split()
    want = int(open(sys.argv[3]).read().split()[0])
except Exception as e:
    quit(3, "checker failure: %s" % e)
word = out[0] if out else ""
if word == "CRASH":
    os.abort()
if word == "HANG":
    while True:
        pass
if word == "FAIL":
    quit(3, "asked to fail")
try:
    got = int(word)
except ValueError:
    quit(2, "expected an integer, got '%s'" % word[:40])
if got == want:
    quit(0, "ok %d" % got)
if abs(got - want) == 1:
    quit(7, "points 0.5 one off")
quit(1, "expected %d, got %d" % (want, got))
