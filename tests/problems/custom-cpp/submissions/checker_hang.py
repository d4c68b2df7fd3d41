print("HANG")
