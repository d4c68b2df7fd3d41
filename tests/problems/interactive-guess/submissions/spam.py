# Asks the same question forever without reading the answers: the
# interactor rejects it at the 31st query while it is still writing.
import sys
while True:
    sys.stdout.write("? 1\n")
    sys.stdout.flush()
