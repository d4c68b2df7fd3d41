print("%d.0" % (2 * int(input())))
