print("FAIL")
