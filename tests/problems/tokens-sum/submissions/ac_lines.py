# the tokens on lines of their own, with leading blanks: tokens ignores layout
a, b = map(int, input().split())
print("   %d\n\n\t%d" % (a + b, a * b))
