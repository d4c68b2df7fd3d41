# family: control
# attack: none: read stdin and answer (a normal judge program must work)
# expect: ok
# stdin: hello corpus\n3 4\n
# output: hello corpus / sum 7
import sys

greeting = sys.stdin.readline().strip()
a, b = map(int, sys.stdin.readline().split())
print(f"{greeting} / sum {a + b}")
