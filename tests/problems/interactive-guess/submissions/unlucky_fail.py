# Query -14 makes this problem's interactor exit 3 (FAIL).
print("? -14", flush=True)
print(input())
