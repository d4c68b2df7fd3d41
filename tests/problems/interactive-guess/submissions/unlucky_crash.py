# Query -13 crashes this problem's interactor: its failure, not ours.
print("? -13", flush=True)
print(input())
