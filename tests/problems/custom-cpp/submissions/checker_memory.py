print("MEM")
