print("CRASH")
