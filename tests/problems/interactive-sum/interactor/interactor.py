# Sum: the interactor sends n (from the test's input) and then n numbers,
# one a line -- far more than a pipe holds -- and only then reads the
# program's answer, their sum, and checks it against the test's answer.
# testlib's convention: interactor INPUT OUTPUT ANSWER; exit 0 accepted,
# 1 wrong answer, 3 its own failure, 8 the program's output ended early.
import sys

def quit(code, msg):
    sys.stderr.write(msg + "\n")
    sys.exit(code)

if len(sys.argv) < 4:
    quit(3, "usage: interactor INPUT OUTPUT ANSWER")
n = int(open(sys.argv[1]).read().split()[0])
want = open(sys.argv[3]).read().split()[0]
out = sys.stdout
out.write("%d\n" % n)
for i in range(n):
    out.write("%d\n" % (i * 7 % 1000003))
out.flush()
line = sys.stdin.readline()
if not line:
    quit(8, "unexpected EOF: no sum")
if line.split() != [want]:
    quit(1, "wrong answer: sum %s, expected %s" % (line.strip()[:40], want))
quit(0, "ok: the sum of %d numbers" % n)
