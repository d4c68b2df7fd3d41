# family: filesystem
# attack: write into the root filesystem (/, /etc, /usr/bin)
# expect: ok
for path in ("/pwned", "/etc/passwd", "/usr/bin/python3", "/usr/lib/pwned.py"):
    try:
        with open(path, "a") as f:
            f.write("x")
        print(f"ESCAPED wrote {path}")
    except OSError as e:
        print(f"{path}: {e.strerror}")
